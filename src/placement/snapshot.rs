//! The indexed cluster snapshot the engine works on: instances by position, tasks by id and
//! by group, per-instance group counts. Built once per reconcile (or kept and updated with
//! `add_task` / `remove_task` / `record_placement`); every engine call borrows it immutably.

use std::collections::HashMap;
use std::sync::Arc;

use super::model::{ContainerInstance, ExistingTask, HostPort, InstanceStatus};
use super::query::{Expression, InstanceFacts};
use super::request::{Placement, PlacementRequest};

/// One instance plus what the engine derives from its tasks.
#[derive(Clone, Debug)]
pub(crate) struct InstanceRecord {
    pub(crate) info: ContainerInstance,
    pub(crate) id: Arc<str>,
    /// Tasks per group on this instance (few entries; linear scans are fastest).
    pub(crate) groups: Vec<(Arc<str>, u32)>,
    /// ECS tasks on the instance (`runningTasksCount`).
    pub(crate) running: u32,
}

impl InstanceRecord {
    fn add_group(&mut self, group: &Arc<str>) {
        match self.groups.iter_mut().find(|(g, _)| g == group) {
            Some((_, n)) => *n += 1,
            None => self.groups.push((group.clone(), 1)),
        }
        self.running += 1;
    }

    fn remove_group(&mut self, group: &str) {
        if let Some(at) = self.groups.iter().position(|(g, _)| &**g == group) {
            self.groups[at].1 -= 1;
            if self.groups[at].1 == 0 {
                self.groups.swap_remove(at);
            }
        }
        self.running = self.running.saturating_sub(1);
    }

    /// Draining instances take no tasks, and their tasks are on their way out: they do not
    /// count towards spread buckets (their replacements should land in the same zone).
    pub(crate) fn counts_for_spread(&self) -> bool {
        self.info.status == InstanceStatus::Active
    }
}

#[derive(Clone, Debug)]
pub(crate) struct TaskRecord {
    pub(crate) task: ExistingTask,
    pub(crate) group: Arc<str>,
    /// Position of the instance, `None` when the instance is not in the snapshot.
    pub(crate) instance: Option<u32>,
}

/// The cluster as the engine sees it.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub(crate) instances: Vec<InstanceRecord>,
    index_of: HashMap<Arc<str>, u32>,
    /// Tasks in insertion order (`None` = removed), so iteration is deterministic.
    pub(crate) tasks: Vec<Option<TaskRecord>>,
    task_index: HashMap<Arc<str>, usize>,
    /// Task positions per group.
    pub(crate) by_group: HashMap<Arc<str>, Vec<usize>>,
}

impl Snapshot {
    /// Indexes instances and tasks. `ContainerInstance::remaining` and `ports_in_use` must
    /// already account for the tasks (the Kubernetes adapter builds them that way); tasks only
    /// add group membership. Duplicate instance or task ids keep the first occurrence.
    pub fn new(
        instances: impl IntoIterator<Item = ContainerInstance>,
        tasks: impl IntoIterator<Item = ExistingTask>,
    ) -> Snapshot {
        let mut snapshot = Snapshot::default();
        for info in instances {
            let id: Arc<str> = Arc::from(info.id.as_str());
            if snapshot.index_of.contains_key(&id) {
                continue;
            }
            let Ok(position) = u32::try_from(snapshot.instances.len()) else {
                break;
            };
            snapshot.index_of.insert(id.clone(), position);
            snapshot.instances.push(InstanceRecord {
                info,
                id,
                groups: Vec::new(),
                running: 0,
            });
        }
        for task in tasks {
            snapshot.insert_task(task);
        }
        snapshot
    }

    /// Indexes a task whose resources the instance's `remaining` already accounts for.
    pub(super) fn insert_task(&mut self, task: ExistingTask) -> Option<&TaskRecord> {
        if self.task_index.contains_key(&task.id) {
            return None;
        }
        let group: Arc<str> = match self.by_group.get_key_value(&*task.group) {
            Some((existing, _)) => existing.clone(),
            None => task.group.clone(),
        };
        let instance = self.index_of.get(&*task.instance).copied();
        if let Some(i) = instance {
            let record = &mut self.instances[i as usize];
            record.add_group(&group);
            for port in &task.host_ports {
                record.info.ports_in_use.insert(*port);
            }
        }
        let position = self.tasks.len();
        self.task_index.insert(task.id.clone(), position);
        self.by_group
            .entry(group.clone())
            .or_default()
            .push(position);
        self.tasks.push(Some(TaskRecord {
            task,
            group,
            instance,
        }));
        self.tasks[position].as_ref()
    }

    /// Adds a task that is not yet reflected in the instance's remaining resources (e.g. one
    /// just created from a placement): reserves its resources and ports. Returns false when a
    /// task with that id exists already.
    pub fn add_task(&mut self, task: ExistingTask) -> bool {
        let reservation = task.reservation;
        let Some(record) = self.insert_task(task) else {
            return false;
        };
        if let Some(i) = record.instance {
            let info = &mut self.instances[i as usize].info;
            info.remaining = info.remaining.saturating_sub(&reservation);
        }
        true
    }

    /// Records a placement returned by `place` as task `task_id`, so that the next request
    /// (in the same reconcile) sees it.
    pub fn record_placement(
        &mut self,
        request: &PlacementRequest,
        placement: &Placement,
        task_id: impl Into<Arc<str>>,
    ) -> bool {
        self.add_task(ExistingTask {
            id: task_id.into(),
            instance: placement.instance.clone(),
            group: Arc::from(request.group.as_str()),
            family: None,
            reservation: request.reservation,
            host_ports: placement.host_ports.clone(),
        })
    }

    /// Removes a task (stopped): frees its resources and ports.
    pub fn remove_task(&mut self, task_id: &str) -> Option<ExistingTask> {
        let position = self.task_index.remove(task_id)?;
        let record = self.tasks.get_mut(position)?.take()?;
        if let Some(list) = self.by_group.get_mut(&record.group) {
            list.retain(|&p| p != position);
        }
        if let Some(i) = record.instance {
            let instance = &mut self.instances[i as usize];
            instance.remove_group(&record.group);
            let info = &mut instance.info;
            info.remaining = info
                .remaining
                .saturating_add(&record.task.reservation)
                .min_each(&info.registered);
            for port in &record.task.host_ports {
                info.ports_in_use.remove(*port);
            }
        }
        Some(record.task)
    }

    pub fn len(&self) -> usize {
        self.instances.len()
    }

    /// The instance record itself, for a caller that keeps `remaining` and `ports_in_use`
    /// current on its own (`live`).
    pub(super) fn instance_mut(&mut self, id: &str) -> Option<&mut ContainerInstance> {
        let i = self.position(id)?;
        Some(&mut self.instances[i].info)
    }

    /// Slots of removed tasks still in the task list (`remove_task` leaves a hole so that
    /// positions stay valid).
    pub(super) fn removed_slots(&self) -> usize {
        self.tasks.len() - self.task_index.len()
    }

    /// How many tasks the snapshot holds.
    pub fn task_count(&self) -> usize {
        self.task_index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    pub fn instances(&self) -> impl Iterator<Item = &ContainerInstance> {
        self.instances.iter().map(|r| &r.info)
    }

    pub fn instance(&self, id: &str) -> Option<&ContainerInstance> {
        self.position(id).map(|i| &self.instances[i].info)
    }

    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        self.index_of.get(id).map(|&i| i as usize)
    }

    pub fn tasks(&self) -> impl Iterator<Item = &ExistingTask> {
        self.tasks.iter().flatten().map(|r| &r.task)
    }

    pub fn task(&self, id: &str) -> Option<&ExistingTask> {
        let position = *self.task_index.get(id)?;
        self.tasks.get(position)?.as_ref().map(|r| &r.task)
    }

    pub(crate) fn task_position(&self, id: &str) -> Option<usize> {
        let position = *self.task_index.get(id)?;
        self.tasks.get(position)?.as_ref().map(|_| position)
    }

    /// Tasks of one group, in insertion order.
    pub fn tasks_of_group<'a>(&'a self, group: &str) -> impl Iterator<Item = &'a ExistingTask> {
        self.by_group
            .get(group)
            .into_iter()
            .flatten()
            .filter_map(|&p| self.tasks[p].as_ref().map(|r| &r.task))
    }

    /// Host ports taken on an instance.
    pub fn ports_in_use(&self, id: &str) -> Option<Vec<HostPort>> {
        self.instance(id).map(|i| i.ports_in_use.iter().collect())
    }

    /// `runningTasksCount` of an instance.
    pub fn running_tasks_count(&self, id: &str) -> Option<u32> {
        self.position(id).map(|i| self.instances[i].running)
    }

    /// Evaluates a query-language expression against one instance and its tasks.
    pub fn matches(&self, id: &str, expression: &Expression) -> Option<bool> {
        let i = self.position(id)?;
        Some(expression.matches(&self.facts(i)))
    }

    /// The instances an expression selects (ListContainerInstances `filter`).
    pub fn filter_instances<'a>(
        &'a self,
        expression: &'a Expression,
    ) -> impl Iterator<Item = &'a str> {
        (0..self.instances.len())
            .filter(move |&i| expression.matches(&self.facts(i)))
            .map(move |i| &*self.instances[i].id)
    }

    pub(crate) fn facts(&self, i: usize) -> Facts<'_> {
        let record = &self.instances[i];
        Facts {
            record,
            running: u64::from(record.running),
            override_group: None,
        }
    }
}

/// The query-language view of one instance. During a placement batch, `override_group`
/// replaces the snapshot's count of the request's own group with the batch's count.
pub(crate) struct Facts<'a> {
    pub(crate) record: &'a InstanceRecord,
    pub(crate) running: u64,
    pub(crate) override_group: Option<(&'a str, u32)>,
}

impl InstanceFacts for Facts<'_> {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.record.info.attribute(name)
    }

    fn ec2_instance_id(&self) -> &str {
        self.record.info.ec2_instance_id()
    }

    fn agent_connected(&self) -> bool {
        self.record.info.agent_connected
    }

    fn agent_version(&self) -> Option<&str> {
        self.record.info.agent_version.as_deref()
    }

    fn registered_at(&self) -> Option<i64> {
        self.record.info.registered_at
    }

    fn running_tasks_count(&self) -> u64 {
        self.running
    }

    fn any_task_group(&self, test: &mut dyn FnMut(&str) -> bool) -> bool {
        let overridden = self.override_group.map(|(g, _)| g);
        for (group, count) in &self.record.groups {
            if Some(&**group) == overridden {
                continue;
            }
            if *count > 0 && test(group) {
                return true;
            }
        }
        match self.override_group {
            Some((group, count)) => count > 0 && test(group),
            None => false,
        }
    }
}
