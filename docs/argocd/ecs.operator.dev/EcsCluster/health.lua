-- Argo CD health of an ecs.operator.dev EcsCluster. Reads status.observedGeneration and
-- the Ready condition (container instances registered). Base library only.
local hs = { status = "Progressing", message = "Waiting for ecs-operator to report the cluster" }
if obj.status == nil then
  return hs
end
local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if observed == nil or (generation ~= nil and observed < generation) then
  hs.message = "Waiting for ecs-operator to observe generation " .. tostring(generation)
  return hs
end
for _, c in ipairs(obj.status.conditions or {}) do
  if c.type == "Ready" then
    if c.status == "True" then
      return { status = "Healthy", message = c.message or "" }
    end
    -- No container instance yet: nodes may still be joining (an autoscaler, a label to
    -- add), so this waits rather than fails.
    hs.message = c.message or hs.message
    return hs
  end
end
return hs
