-- Argo CD health of an ecs.operator.dev EcsTask (RunTask). Reads status.observedGeneration,
-- the Degraded and Ready conditions, and for a finished run the tasks' exit codes. Base
-- library only.
local hs = { status = "Progressing", message = "Waiting for ecs-operator to run the task" }
if obj.status == nil then
  return hs
end
local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if observed == nil or (generation ~= nil and observed < generation) then
  hs.message = "Waiting for ecs-operator to observe generation " .. tostring(generation)
  return hs
end
local ready, degraded
for _, c in ipairs(obj.status.conditions or {}) do
  if c.type == "Ready" then
    ready = c
  elseif c.type == "Degraded" then
    degraded = c
  end
end
-- Could not be launched or placed (invalid, unknown task definition, no capacity).
if degraded ~= nil and degraded.status == "True" then
  return { status = "Degraded", message = (degraded.reason or "Degraded") .. ": " .. (degraded.message or "") }
end
if ready ~= nil and ready.status == "True" then
  return { status = "Healthy", message = ready.message or "" }
end
-- Every task STOPPED: a one-off run that finished. Healthy when stopped on request or
-- when every container that exited did so with 0 (like a completed Job); else Degraded
-- with the first failure.
if ready ~= nil and ready.reason == "TasksStopped" then
  if obj.spec ~= nil and obj.spec.desiredStatus == "STOPPED" then
    return { status = "Healthy", message = "Stopped on request: " .. (ready.message or "") }
  end
  for _, task in ipairs(obj.status.tasks or {}) do
    for _, container in ipairs(task.containers or {}) do
      if container.exitCode ~= nil and container.exitCode ~= 0 then
        return {
          status = "Degraded",
          message = "Container " .. container.name .. " exited with " .. tostring(container.exitCode)
            .. ": " .. (task.stoppedReason or task.stopCode or "stopped"),
        }
      end
    end
    if task.stopCode == "TaskFailedToStart" then
      return { status = "Degraded", message = "TaskFailedToStart: " .. (task.stoppedReason or "") }
    end
  end
  return { status = "Healthy", message = "Completed: " .. (ready.message or "") }
end
if ready ~= nil and ready.message ~= nil and ready.message ~= "" then
  hs.message = ready.message
end
return hs
