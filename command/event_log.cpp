// Event log encoding and range reads; see event_log.hpp.
#include "command/event_log.hpp"

namespace jupiter {

std::string eventKey(uint64_t seq) { return "e/" + keyNum(seq); }

Doc makeEventDoc(uint64_t seq, std::string_view name, int64_t atMs, const Doc& body) {
    return Doc{{"seq", seq}, {"name", name}, {"at", atMs}, {"body", body}};
}

Doc readEvents(const Store& store, uint64_t from, std::size_t max) {
    Doc out = Doc::array();
    if (from == 0) from = 1;
    auto snap = store.snapshot();
    const std::string start = from > 1 ? eventKey(from - 1) : std::string();
    snap.scan("e/", start, [&](std::string_view, std::string_view v) {
        auto ev = unpackDoc(v);
        if (!ev) throw std::runtime_error("the event log holds an unreadable record: " + ev.error().message);
        out.push_back(std::move(ev.value()));
        return out.size() < max;
    });
    return out;
}

std::string packReplayBody(const Store& store, uint64_t from, uint64_t upTo, std::size_t max, std::size_t maxBytes,
                           uint64_t head, uint64_t epoch) {
    if (from == 0) from = 1;
    std::string events;
    uint32_t count = 0;
    if (from <= upTo) {
        auto snap = store.snapshot();
        snap.scan("e/", from > 1 ? eventKey(from - 1) : std::string(), [&](std::string_view k, std::string_view v) {
            auto seq = parseKeyNum(k.substr(2));
            if (!seq || *seq > upTo) return false;
            events += v;
            ++count;
            return count < max && events.size() < maxBytes;
        });
    }
    return packEventsBody(events, count, head, epoch);
}

std::string packEventsBody(std::string_view packedEvents, uint32_t count, uint64_t head, uint64_t epoch) {
    std::string out;
    out.reserve(packedEvents.size() + 64);
    packMapHeader(out, 3);
    packDocTo(out, Doc("events"));
    packArrayHeader(out, count);
    out += packedEvents;
    packDocTo(out, Doc("head"));
    packDocTo(out, Doc(head));
    packDocTo(out, Doc("epoch"));
    packDocTo(out, Doc(epoch));
    return out;
}

}  // namespace jupiter
