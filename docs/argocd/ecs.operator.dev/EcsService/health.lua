-- Argo CD health of an ecs.operator.dev EcsService. Reads what ecs-operator writes:
-- status.observedGeneration, then the Degraded and Ready conditions. Base library only
-- (works without resource.customizations.useOpenLibs).
local hs = { status = "Progressing", message = "Waiting for ecs-operator to report the service" }
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
-- Degraded: the spec cannot be run as it is (missing task definition, invalid
-- configuration, no container instance can take a task, circuit breaker tripped).
if degraded ~= nil and degraded.status == "True" then
  return { status = "Degraded", message = (degraded.reason or "Degraded") .. ": " .. (degraded.message or "") }
end
if ready ~= nil and ready.status == "True" then
  return { status = "Healthy", message = ready.message or "" }
end
-- Rolling out, or tasks starting: say how far along it is.
if ready ~= nil and ready.message ~= nil and ready.message ~= "" then
  hs.message = ready.message
end
return hs
