-- Argo CD health of an ecs.operator.dev TaskDefinition. Reads status.observedGeneration,
-- then Accepted (the spec registered as a revision, or refused) and Ready. Base library only.
local hs = { status = "Progressing", message = "Waiting for ecs-operator to register the task definition" }
if obj.status == nil then
  return hs
end
local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if observed == nil or (generation ~= nil and observed < generation) then
  hs.message = "Waiting for ecs-operator to observe generation " .. tostring(generation)
  return hs
end
local ready, accepted
for _, c in ipairs(obj.status.conditions or {}) do
  if c.type == "Ready" then
    ready = c
  elseif c.type == "Accepted" then
    accepted = c
  end
end
-- A refused spec stays refused until it is changed: Degraded, with the reason. A lost
-- registration race (Conflict) or an API error (KubeError) is retried: still Progressing.
local retried = { Conflict = true, KubeError = true }
if accepted ~= nil and accepted.status == "False" and not retried[accepted.reason] then
  return { status = "Degraded", message = (accepted.reason or "NotAccepted") .. ": " .. (accepted.message or "") }
end
if ready ~= nil and ready.status == "True" then
  return { status = "Healthy", message = ready.message or "" }
end
if ready ~= nil and ready.message ~= nil and ready.message ~= "" then
  hs.message = ready.message
end
return hs
