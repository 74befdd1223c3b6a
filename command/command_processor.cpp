// Group-commit command processing; see command_processor.hpp.
#include "command/command_processor.hpp"

#include <cstring>

#include <fmt/format.h>

#include "command/event_log.hpp"
#include "domain/decider.hpp"
#include "domain/projection.hpp"

namespace jupiter {
namespace {

constexpr std::string_view kDedupCountKey = "m/dedup_n";

// Request ids are the client's own: the key is the client (length-prefixed, so that no client and
// id can run into another pair) and the id.
std::string requestKey(const Envelope& cmd) {
    const std::string client = cmd.client.value_or("");
    return fmt::format("d/{}:{}{}", client.size(), client, cmd.id);
}

// What makes a resend the same command: its name and body (a hash of the body's canonical packing,
// which decoding and repacking make the same for the same values).
uint64_t commandFingerprint(const Envelope& cmd) { return recordHash(cmd.name, packDoc(cmd.body)); }
std::string dedupOrderKey(uint64_t n) { return "x/" + keyNum(n); }

}  // namespace

CommandProcessor::CommandProcessor(Store& store, const Clock& clock, std::string node, bool sync, uint64_t dedupKeep)
    : store_(store), clock_(clock), node_(std::move(node)), sync_(sync), dedupKeep_(dedupKeep) {
    reload();
}

void CommandProcessor::reload() {
    txn_ = store_.begin();
    pending_.clear();
    events_ = Doc::array();
    dedupCount_ = 0;
    if (auto n = store_.get(kDedupCountKey); n && n->size() == 8) std::memcpy(&dedupCount_, n->data(), 8);
}

void CommandProcessor::remember(const Envelope& cmd, const Envelope& reply) {
    Doc rec = {{"kind", kindName(reply.kind)}, {"body", reply.body}, {"name", cmd.name}, {"fp", commandFingerprint(cmd)}};
    if (reply.seq) rec["seq"] = *reply.seq;
    const std::string key = requestKey(cmd);
    txn_->put(key, packDoc(rec));
    ++dedupCount_;
    txn_->put(dedupOrderKey(dedupCount_), key);
    std::string n(8, '\0');
    std::memcpy(n.data(), &dedupCount_, 8);
    txn_->put(kDedupCountKey, n);
    if (dedupCount_ > dedupKeep_) {
        const std::string oldKey = dedupOrderKey(dedupCount_ - dedupKeep_);
        if (auto old = txn_->get(oldKey)) {
            txn_->del(*old);
            txn_->del(oldKey);
        }
    }
}

void CommandProcessor::handle(Frames route, const Envelope& cmd) {
    Envelope reply;
    if (cmd.id.empty()) {
        reply = makeErrorReply(cmd.name, cmd.id,
                               makeError("bad_field",
                                         "a command needs a request id (envelope field 'id') so that a resend is not "
                                         "applied twice",
                                         "id"));
        pending_.push_back({std::move(route), encodeEnvelope(reply)});
        decided(cmd.name, "bad_field");
        return;
    }
    if (auto seen = txn_->get(requestKey(cmd))) {
        auto rec = unpackDoc(*seen);
        if (rec && rec->is_object() && rec->contains("fp") &&
            (rec->value("name", "") != cmd.name || rec->value("fp", uint64_t{0}) != commandFingerprint(cmd))) {
            // The same client, the same id, another command: not a resend. Refused, not remembered
            // (the id still answers for its first command).
            reply = makeErrorReply(
                cmd.name, cmd.id,
                makeError("id_reused",
                          fmt::format("request id '{}' was already used by this client for {} (a different command{}); "
                                      "send a new command with a new id",
                                      cmd.id, rec->value("name", "?"),
                                      rec->contains("seq") ? fmt::format(", answered at sequence {}",
                                                                         (*rec)["seq"].get<uint64_t>())
                                                           : std::string()),
                          "id"));
            pending_.push_back({std::move(route), encodeEnvelope(reply)});
            decided(cmd.name, "id_reused");
            return;
        }
        if (rec && rec->is_object()) {
            reply.kind = parseKind(rec->value("kind", "reply")).value_or(Kind::Reply);
            reply.name = cmd.name;
            reply.id = cmd.id;
            reply.body = rec->value("body", Doc::object());
            reply.body["duplicate"] = true;
            if (rec->contains("seq")) reply.seq = (*rec)["seq"].get<uint64_t>();
            reply.node = node_;
            pending_.push_back({std::move(route), encodeEnvelope(reply)});
            decided(cmd.name, "duplicate");
            return;
        }
    }
    const int64_t now = clock_.wallMs();
    Result<Decision> decision = makeError("internal", "not decided");
    try {
        decision = decide(cmd.name, cmd.body, *txn_, now);
    } catch (const std::exception& e) {
        decision = makeError("internal", fmt::format("the command node could not decide {}: {}", cmd.name, e.what()));
    }
    decided(cmd.name, decision ? "ok" : decision.error().code);
    if (!decision) {
        reply = makeErrorReply(cmd.name, cmd.id, decision.error());
    } else {
        const uint64_t first = txn_->seq() + 1;
        uint64_t seq = txn_->seq();
        for (const auto& ev : decision->events) {
            ++seq;
            if (auto ok = applyEvent(ev.name, ev.body, *txn_); !ok)
                throw std::logic_error(fmt::format("event {} {} produced by {} does not apply: {}", seq, ev.name,
                                                   cmd.name, ok.error().message));
            Doc evDoc = makeEventDoc(seq, ev.name, now, ev.body);
            txn_->put(eventKey(seq), packDoc(evDoc));
            events_.push_back(std::move(evDoc));
        }
        txn_->setSeq(seq);
        Doc body = decision->reply.is_object() ? decision->reply : Doc::object();
        body["seq"] = seq;
        body["first_seq"] = first;
        body["events"] = decision->events.size();
        reply = makeReply(cmd, std::move(body));
        reply.seq = seq;
    }
    reply.node = node_;
    remember(cmd, reply);
    pending_.push_back({std::move(route), encodeEnvelope(reply)});
}

Result<CommandProcessor::Group> CommandProcessor::commit(const std::function<void(StoreTxn&)>& seal) {
    Group g;
    if (seal) seal(*txn_);
    if (auto ok = store_.commit(*txn_, sync_); !ok) return ok.error();
    g.replies = std::move(pending_);
    g.events = std::move(events_);
    pending_.clear();
    events_ = Doc::array();
    txn_ = store_.begin();
    return g;
}

}  // namespace jupiter
