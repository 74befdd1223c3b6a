// The lab network of one cluster (a configuration with [netlab]): every node and local etcd
// member in the network namespace its `netns` names, with the address its endpoints name, on one
// Linux bridge that also holds this host's address, so that the CLI and clients reach the nodes
// the way remote machines would. Faults are made the way this kind of kernel allows (no netem, no
// netfilter): a member's link set down (cut off from everyone) or blackhole routes between two
// members (cut off from each other only, in both directions).
#pragma once

#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/result.hpp"

namespace jupiter::netlab {

struct LabMember {
    std::string name;     // a node, or a local etcd member ("etcd-2")
    std::string netns;
    std::string address;  // IPv4, no prefix
};

// Every node and local etcd member that has a namespace, in configured order (nodes, then etcd).
std::vector<LabMember> labMembers(const Config& config);

// The members `words` name, without `self`: member names as they are, a role name (gateway,
// broker, ...) for every node of that role, "etcd" for every local etcd member. What `jupiter
// partition --from` and chaos partitions take.
std::vector<std::string> expandMembers(const Config& config, const std::vector<std::string>& words,
                                       const std::string& self);

// Builds what is missing of the lab (bridge, namespaces, veth pairs, addresses); what exists is
// kept, so it is safe to call before every start. Needs root.
Status createLab(const Config& config);
// Removes the namespaces and the bridge (what is already gone is not an error).
Status destroyLab(const Config& config);
// Whether the lab's bridge exists on this host.
bool labExists(const Config& config);

// A /24 for a new lab: the N of 10.201.N.0/24 that no address or route of this host uses yet.
Result<int> freeLabSubnet();

// The member's link set down: nothing reaches it and it reaches nothing.
Status isolate(const Config& config, const std::string& member);
// Blackhole routes between `member` and each of `peers`, both ways: they cannot reach each other
// while both still reach everyone else.
Status block(const Config& config, const std::string& member, const std::vector<std::string>& peers);
// Link up and every blackhole route gone, for `member` (or every member when empty).
Status heal(const Config& config, const std::string& member = "");
// One line per member that is cut off or has blackhole routes (empty when the lab is whole).
Result<std::vector<std::string>> labFaults(const Config& config);

}  // namespace jupiter::netlab
