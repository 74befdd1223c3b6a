// The etcd members `jupiter up` runs itself when the configuration says `[etcd] local = true`
// (several command nodes elect their leader through etcd). Each member is a detached `etcd`
// process (Debian's etcd-server) named etcd-1, etcd-2, ... with its data under DIR/etcd/<name>,
// its log under DIR/log/<name>.log and a pidfile under DIR/run/ locked by the member itself, like
// Jupiter's daemons, so `jupiter down`, `status` and the tests find and stop them the same way.
// Heartbeat and election timeouts are tuned (50 ms / 300 ms) so that etcd itself moves its
// leadership well within a second and grants leases as short as one second.
#pragma once

#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/config.hpp"
#include "common/result.hpp"

namespace jupiter::cli {

// etcd-1, etcd-2, ... for a local configuration; nothing otherwise.
std::vector<std::string> localEtcdMembers(const Config& config);
// Starts the local members that are not running and waits until etcd answers (up to `timeout`).
Status startLocalEtcd(const Config& config, Millis timeout);
// Starts one local member (by name) if it is not running; does not wait.
Status startEtcdMember(const Config& config, const std::string& name);

}  // namespace jupiter::cli
