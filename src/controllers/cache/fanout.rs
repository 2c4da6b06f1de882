//! Forwards every changed object of one watch to each subscribed controller.
//!
//! kube's own shared streams (`reflect_shared` + `ReflectHandle`) stall a subscriber when
//! an object is deleted before the subscriber reads its event (the handle then returns
//! Pending without a wake-up) and, once its buffer is full, the whole watch. This fan-out
//! forwards the objects themselves, deleted ones included, over unbounded channels — one
//! `Arc` per event shared by every subscriber, not a copy each.

use std::sync::Arc;

use futures::Stream;
use tokio::sync::mpsc;

use crate::operations::metrics::QueueDepth;

pub(crate) struct Fanout<K> {
    subscribers: Vec<(mpsc::UnboundedSender<Arc<K>>, QueueDepth)>,
}

impl<K> Default for Fanout<K> {
    fn default() -> Self {
        Self {
            subscribers: Vec::new(),
        }
    }
}

impl<K: Send + Sync + 'static> Fanout<K> {
    /// A trigger stream for one controller. Objects forwarded and not yet taken count in
    /// the controller's `ecs_operator_workqueue_depth`.
    pub fn subscribe(
        &mut self,
        controller: &'static str,
    ) -> impl Stream<Item = Arc<K>> + Send + 'static {
        let (tx, rx) = mpsc::unbounded_channel();
        let depth = QueueDepth::of(controller);
        self.subscribers.push((tx, depth.clone()));
        futures::stream::unfold((rx, depth), |(mut rx, depth)| async move {
            let obj = rx.recv().await?;
            depth.taken();
            Some((obj, (rx, depth)))
        })
    }

    pub fn send(&self, obj: Arc<K>) {
        for (tx, depth) in &self.subscribers {
            if tx.send(obj.clone()).is_ok() {
                depth.pushed();
            }
        }
    }
}
