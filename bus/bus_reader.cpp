// Bus reading; see bus_reader.hpp.
#include "bus/bus_reader.hpp"

#include "common/zmq_util.hpp"

namespace jupiter {

std::size_t drainBus(zmq::socket_t& sub, std::size_t max, const Config& config,
                     const std::function<void(const Heartbeat&)>& onHeartbeat,
                     const std::function<void(const BusMessage&)>& onOther) {
    std::size_t malformed = 0;
    drain(sub, max, [&](Frames&& frames) {
        const bool signedBatch = frames.size() == 3 && view(frames[0]) == kEventsTopic;
        if (frames.size() != 2 && !signedBatch) {
            ++malformed;
            return;
        }
        auto env = decodeEnvelope(view(frames[1]));
        if (!env) {
            ++malformed;
            return;
        }
        if (env->kind == Kind::Heartbeat) {
            auto hb = heartbeatFrom(*env);
            // A heartbeat speaks for the node its topic names (the broker lets only that node's key
            // publish there), never for another one its body names, and only in its configured role.
            const NodeConfig* node = hb ? config.node(hb->node) : nullptr;
            if (!hb || view(frames[0]) != std::string(kHeartbeatTopic) + hb->node || !node || node->role != hb->role) {
                ++malformed;
                return;
            }
            if (onHeartbeat) onHeartbeat(*hb);
        } else if (onOther) {
            onOther(BusMessage{*env, view(frames[1]), signedBatch ? view(frames[2]) : std::string_view()});
        }
    });
    return malformed;
}

}  // namespace jupiter
