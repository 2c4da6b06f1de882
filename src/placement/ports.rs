//! Host-port bookkeeping per instance: static ports must be free, dynamic (`hostPort: 0`) ports
//! come from the ECS ephemeral range (ecs-semantics.md §5.3).

use super::model::{HostPort, Protocol};

/// First port of the ECS/Docker ephemeral range on Linux (fallback when the instance's
/// `ip_local_port_range` is unknown, ecs-semantics.md §5.3).
pub const EPHEMERAL_PORT_FIRST: u16 = 49153;
/// Last port of the ephemeral range.
pub const EPHEMERAL_PORT_LAST: u16 = 65535;
/// How many ports the ephemeral range holds.
pub const EPHEMERAL_PORT_COUNT: usize = (EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST) as usize + 1;

/// Ports the ECS agent reserves on every instance by default (ecs-semantics.md §5.3, §7).
pub const ECS_DEFAULT_RESERVED_TCP_PORTS: [u16; 6] = [22, 2375, 2376, 51678, 51679, 51680];

/// The host ports taken on one instance, tcp and udp kept apart. Sorted vectors: instances
/// hold few ports, and a sorted list makes "lowest free dynamic port" a single merge walk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortSet {
    tcp: Vec<u16>,
    udp: Vec<u16>,
}

impl PortSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_ports(ports: impl IntoIterator<Item = HostPort>) -> Self {
        let mut set = Self::new();
        for p in ports {
            set.insert(p);
        }
        set
    }

    fn list(&self, protocol: Protocol) -> &Vec<u16> {
        match protocol {
            Protocol::Tcp => &self.tcp,
            Protocol::Udp => &self.udp,
        }
    }

    fn list_mut(&mut self, protocol: Protocol) -> &mut Vec<u16> {
        match protocol {
            Protocol::Tcp => &mut self.tcp,
            Protocol::Udp => &mut self.udp,
        }
    }

    pub fn contains(&self, port: HostPort) -> bool {
        self.list(port.protocol).binary_search(&port.port).is_ok()
    }

    /// Adds a port; returns false when it was already taken.
    pub fn insert(&mut self, port: HostPort) -> bool {
        let list = self.list_mut(port.protocol);
        match list.binary_search(&port.port) {
            Ok(_) => false,
            Err(at) => {
                list.insert(at, port.port);
                true
            }
        }
    }

    pub fn remove(&mut self, port: HostPort) -> bool {
        let list = self.list_mut(port.protocol);
        match list.binary_search(&port.port) {
            Ok(at) => {
                list.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tcp.is_empty() && self.udp.is_empty()
    }

    pub fn len(&self) -> usize {
        self.tcp.len() + self.udp.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = HostPort> + '_ {
        self.tcp
            .iter()
            .map(|&p| HostPort::tcp(p))
            .chain(self.udp.iter().map(|&p| HostPort::udp(p)))
    }

    /// How many ports of the ephemeral range are still free for `protocol`.
    pub fn free_ephemeral(&self, protocol: Protocol) -> usize {
        let list = self.list(protocol);
        let start = list.partition_point(|&p| p < EPHEMERAL_PORT_FIRST);
        EPHEMERAL_PORT_COUNT - (list.len() - start)
    }

    /// The lowest free port of the ephemeral range, if any.
    pub fn lowest_free_ephemeral(&self, protocol: Protocol) -> Option<u16> {
        let list = self.list(protocol);
        let mut idx = list.partition_point(|&p| p < EPHEMERAL_PORT_FIRST);
        let mut candidate = EPHEMERAL_PORT_FIRST;
        while idx < list.len() && list[idx] == candidate {
            if candidate == EPHEMERAL_PORT_LAST {
                return None;
            }
            candidate += 1;
            idx += 1;
        }
        Some(candidate)
    }
}

impl FromIterator<HostPort> for PortSet {
    fn from_iter<T: IntoIterator<Item = HostPort>>(iter: T) -> Self {
        Self::from_ports(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_and_udp_are_separate_namespaces() {
        let mut set = PortSet::new();
        assert!(set.insert(HostPort::tcp(80)));
        assert!(!set.insert(HostPort::tcp(80)));
        assert!(set.insert(HostPort::udp(80)));
        assert!(set.contains(HostPort::udp(80)));
        assert!(set.remove(HostPort::tcp(80)));
        assert!(!set.contains(HostPort::tcp(80)));
        assert!(set.contains(HostPort::udp(80)));
    }

    #[test]
    fn lowest_free_ephemeral_skips_taken_ports() {
        let mut set = PortSet::new();
        assert_eq!(set.lowest_free_ephemeral(Protocol::Tcp), Some(49153));
        set.insert(HostPort::tcp(80));
        set.insert(HostPort::tcp(49153));
        set.insert(HostPort::tcp(49154));
        set.insert(HostPort::tcp(49156));
        assert_eq!(set.lowest_free_ephemeral(Protocol::Tcp), Some(49155));
        assert_eq!(set.lowest_free_ephemeral(Protocol::Udp), Some(49153));
        assert_eq!(set.free_ephemeral(Protocol::Tcp), EPHEMERAL_PORT_COUNT - 3);
    }

    #[test]
    fn exhausted_ephemeral_range_yields_none() {
        let set: PortSet = (EPHEMERAL_PORT_FIRST..=EPHEMERAL_PORT_LAST)
            .map(HostPort::tcp)
            .collect();
        assert_eq!(set.lowest_free_ephemeral(Protocol::Tcp), None);
        assert_eq!(set.free_ephemeral(Protocol::Tcp), 0);
    }
}
