// Replica catch-up and event application; see replicator.hpp.
#include "query/replicator.hpp"

#include <fmt/format.h>

#include "domain/projection.hpp"
#include "schemas/catalog.hpp"

namespace jupiter {

namespace {
constexpr Millis kLiveGrace{30};
}  // namespace

Status validateEventItem(const Doc& item) {
    if (!item.is_object()) return makeError("malformed", "an event must be a map");
    auto seq = item.find("seq");
    auto name = item.find("name");
    auto at = item.find("at");
    auto body = item.find("body");
    if (seq == item.end() || !seq->is_number_unsigned() || seq->get<uint64_t>() == 0)
        return makeError("bad_field", "event field 'seq' must be an unsigned integer > 0");
    if (name == item.end() || !name->is_string()) return makeError("bad_field", "event field 'name' must be a string");
    if (at == item.end() || !at->is_number_integer()) return makeError("bad_field", "event field 'at' must be an integer");
    if (body == item.end() || !body->is_object()) return makeError("bad_field", "event field 'body' must be a map");
    const MessageSpec* spec = findMessage(Kind::Events, name->get_ref<const std::string&>());
    if (!spec || spec->name == "events")
        return makeError("unknown_message", fmt::format("unknown event '{}'", name->get<std::string>()));
    return validateBody(*spec, *body);
}

Replicator::Replicator(Store& store, const Clock& clock, Millis replayTimeout, uint64_t chunk, std::size_t window)
    : store_(store),
      clock_(clock),
      replayTimeout_(replayTimeout),
      chunk_(std::max<uint64_t>(chunk, 1)),
      window_(std::max<std::size_t>(window, 1)),
      head_(store.seq()) {}

void Replicator::onHead(uint64_t head) { head_ = std::max(head_, head); }

void Replicator::restart() {
    outstanding_.clear();
    requestedTo_ = 0;
    gap_ = false;
    replaying_ = false;
    behindSince_.reset();
    head_ = std::max(head_, applied());
}

std::optional<std::string> Replicator::refusal(uint64_t seq, const Doc& item, Txn& txn) const {
    if (seq == refuseSeq_) return "refused by the test hook refuse_event_seq";
    if (auto ok = applyEvent(item["name"].get_ref<const std::string&>(), item["body"], txn); !ok)
        return fmt::format("{} does not apply to this read model: {}", item["name"].get<std::string>(),
                           ok.error().message);
    return std::nullopt;
}

Result<std::size_t> Replicator::apply(const Doc& events, bool fromLog, bool* gapped) {
    if (stuck_) return std::size_t{0};
    if (!events.is_array()) return makeError("malformed", "events must be an array");
    // Every batch arrives once per broker: a batch whose last event is already applied is a copy,
    // dropped before any item is validated.
    if (!events.empty() && events.back().is_object()) {
        auto last = events.back().find("seq");
        if (last != events.back().end() && last->is_number_unsigned() && last->get<uint64_t>() <= store_.seq())
            return std::size_t{0};
    }
    auto txn = store_.begin();
    uint64_t seq = store_.seq();
    std::size_t n = 0;
    auto gap = [&] {
        ++gaps_;
        gap_ = true;
        if (gapped) *gapped = true;
    };
    for (const auto& item : events) {
        if (auto ok = validateEventItem(item); !ok) {
            // The log's own copy of the next event, unreadable to this build: poisoned. Anything
            // else is treated as missing: the replay from the event log brings it again.
            auto s = item.is_object() ? item.find("seq") : item.end();
            if (fromLog && s != item.end() && s->is_number_unsigned() && s->get<uint64_t>() == seq + 1)
                stuck_ = Stuck{seq + 1, ok.error().message};
            else
                gap();
            break;
        }
        const uint64_t s = item["seq"].get<uint64_t>();
        if (s <= seq) continue;  // already applied
        if (s != seq + 1) {
            gap();
            break;
        }
        // What an event changed before it failed is not kept: the transaction is rebuilt below
        // from the events before it.
        if (auto why = refusal(s, item, *txn)) {
            stuck_ = Stuck{s, std::move(*why)};
            break;
        }
        seq = s;
        ++n;
    }
    if (stuck_ && n > 0) {
        // Commit exactly the events before the poisoned one (it may have written part of itself).
        txn = store_.begin();
        for (const auto& item : events) {
            const uint64_t s = item["seq"].get<uint64_t>();
            if (s <= store_.seq()) continue;
            if (s > seq) break;
            if (auto ok = applyEvent(item["name"].get_ref<const std::string&>(), item["body"], *txn); !ok)
                return makeError("internal", fmt::format("event {} applied, then did not: {}", s, ok.error().message));
        }
    }
    if (n == 0) return std::size_t{0};
    txn->setSeq(seq);
    // No fsync: after a crash the lost tail is simply replayed from the command node.
    if (auto ok = store_.commit(*txn, false); !ok) return ok.error();
    head_ = std::max(head_, seq);
    behindSince_.reset();  // progress: the live stream is flowing
    return n;
}

Result<std::size_t> Replicator::onLive(const Doc& events, uint64_t head) {
    onHead(head);
    return apply(events, false);
}

Result<std::size_t> Replicator::onReplay(const Doc& events, uint64_t head) {
    if (!outstanding_.empty()) outstanding_.pop_front();
    // The command node's own word on its head replaces guesses (a parked query's sequence, the
    // start-up probe), which may point past the real head.
    head_ = std::max(head, applied());
    bool gapped = false;
    auto n = apply(events, true, &gapped);
    if (n && *n > 0) replaying_ = true;
    // A reply that does not continue what is applied (an earlier one was short or lost): the
    // ranges in flight are no longer consecutive with ours; ask again from what we have.
    if (gapped) requestedTo_ = applied();
    return n;
}

std::optional<uint64_t> Replicator::replayDue() {
    if (stuck_) return std::nullopt;  // what it would bring cannot be applied
    if (applied() >= head_) {
        behindSince_.reset();
        gap_ = false;
        replaying_ = false;
        return std::nullopt;
    }
    // Behind without a known gap usually means the next live batch is on its way; give it a
    // moment before asking for a replay of what would arrive anyway. Not while replaying: the
    // next chunk is asked for at once.
    if (!behindSince_) behindSince_ = clock_.now();
    if (!gap_ && !replaying_ && clock_.now() - *behindSince_ < kLiveGrace) return std::nullopt;
    // The oldest request unanswered too long: every reply after it is in doubt too; start again.
    if (!outstanding_.empty() && clock_.now() - outstanding_.front() >= replayTimeout_) {
        outstanding_.clear();
        requestedTo_ = 0;
    }
    if (outstanding_.size() >= window_) return std::nullopt;
    const uint64_t from = std::max(applied(), outstanding_.empty() ? 0 : requestedTo_) + 1;
    if (from > head_) return std::nullopt;  // everything known to exist is already asked for
    outstanding_.push_back(clock_.now());
    requestedTo_ = from + chunk_ - 1;
    gap_ = false;
    return from;
}

}  // namespace jupiter
