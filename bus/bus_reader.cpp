// Bus reading; see bus_reader.hpp.
#include "bus/bus_reader.hpp"

#include "common/zmq_util.hpp"

namespace jupiter {

BusBatch drainBus(zmq::socket_t& sub, std::size_t max, const std::function<void(const Heartbeat&)>& onHeartbeat,
                  const std::function<void(const Envelope&)>& onOther) {
    BusBatch batch;
    batch.messages = drain(sub, max, [&](Frames&& frames) {
        if (frames.size() != 2) {
            ++batch.malformed;
            return;
        }
        auto env = decodeEnvelope(view(frames[1]));
        if (!env) {
            ++batch.malformed;
            return;
        }
        if (env->kind == Kind::Heartbeat) {
            auto hb = heartbeatFrom(*env);
            if (!hb) {
                ++batch.malformed;
                return;
            }
            if (onHeartbeat) onHeartbeat(*hb);
        } else if (onOther) {
            onOther(*env);
        }
    });
    return batch;
}

}  // namespace jupiter
