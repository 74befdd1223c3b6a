// Installing a command node's state copy; see snapshot_installer.hpp.
#include "query/snapshot_installer.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace jupiter {
namespace {

constexpr Millis kPendingRetry{20};   // the copy's last groups are not committed yet
constexpr Millis kRestartPause{200};  // before starting over from another command node

}  // namespace

SnapshotInstaller::SnapshotInstaller(Store& store, const Clock& clock, std::vector<std::string> sources,
                                     uint64_t chunkBytes, Millis timeout)
    : store_(store), clock_(clock), sources_(std::move(sources)), chunkBytes_(chunkBytes), timeout_(timeout) {
    if (sources_.empty()) throw std::logic_error("SnapshotInstaller: no command node to take a snapshot from");
}

Status SnapshotInstaller::start(const std::string& source) {
    auto it = std::find(sources_.begin(), sources_.end(), source);
    source_ = it == sources_.end() ? 0 : static_cast<std::size_t>(it - sources_.begin());
    started_ = clock_.now();
    nextAt_ = started_;
    return restart("");
}

Status SnapshotInstaller::restart(const std::string& why) {
    if (!why.empty()) {
        trouble_ = fmt::format("snapshot from {} started over: {}", sources_[source_], why);
        source_ = (source_ + 1) % sources_.size();
        nextAt_ = clock_.now() + kRestartPause;
    }
    install_.reset();
    auto begun = StateInstall::begin(store_);
    if (!begun) return begun.error();
    install_.emplace(std::move(*begun));
    copy_ = 0;
    sentAt_.reset();
    return Ok{};
}

void SnapshotInstaller::unsent() {
    sentAt_.reset();
    nextAt_ = clock_.now() + kPendingRetry;
}

std::string SnapshotInstaller::takeTrouble() { return std::exchange(trouble_, {}); }

std::optional<SnapshotInstaller::Request> SnapshotInstaller::due() {
    if (!install_) return std::nullopt;
    const TimePoint now = clock_.now();
    if (sentAt_ && now - *sentAt_ >= timeout_) {
        if (auto ok = restart(fmt::format("no answer within {} ms", timeout_.count())); !ok) return std::nullopt;
    }
    if (sentAt_ || now < nextAt_) return std::nullopt;
    sentAt_ = now;
    sentId_ = fmt::format("snapshot-{}", ++requests_);
    Doc body = {{"max_bytes", chunkBytes_}};
    if (copy_ != 0) {
        body["snapshot"] = copy_;
        if (!install_->lastKey().empty()) body["after"] = install_->lastKey();
    }
    return Request{sources_[source_], sentId_, std::move(body)};
}

Result<std::optional<SnapshotInstaller::Finished>> SnapshotInstaller::onReply(const std::string& node,
                                                                              const std::string& id, const Doc& body,
                                                                              bool isError) {
    if (!install_ || !sentAt_ || node != sources_[source_] || id != sentId_)
        return std::optional<Finished>{};  // late, or not ours
    sentAt_.reset();
    auto over = [&](const std::string& why) -> Result<std::optional<Finished>> {
        if (auto ok = restart(why); !ok) return ok.error();
        return std::optional<Finished>{};
    };
    if (isError) return over(body.value("message", std::string("refused")));
    const auto records = body.find("records");
    const auto seq = body.find("seq"), digest = body.find("digest"), copy = body.find("snapshot");
    const auto done = body.find("done");
    if (records == body.end() || !records->is_array() || records->size() % 2 != 0 || seq == body.end() ||
        !seq->is_number_unsigned() || digest == body.end() || !digest->is_number_unsigned() || copy == body.end() ||
        !copy->is_number_unsigned() || done == body.end() || !done->is_boolean())
        return over("a malformed chunk");
    if (copy_ == 0) {
        copy_ = copy->get<uint64_t>();
        seq_ = seq->get<uint64_t>();
        digest_ = digest->get<uint64_t>();
    } else if (copy->get<uint64_t>() != copy_ || seq->get<uint64_t>() != seq_) {
        return over("a chunk of another copy");
    }
    std::vector<StateInstall::Record> chunk;
    chunk.reserve(records->size() / 2);
    for (std::size_t i = 0; i < records->size(); i += 2) {
        const Doc& k = (*records)[i];
        const Doc& v = (*records)[i + 1];
        if (!k.is_string() || !v.is_string()) return over("a record that is not a pair of strings");
        chunk.emplace_back(k.get_ref<const std::string&>(), v.get_ref<const std::string&>());
    }
    if (auto ok = install_->add(chunk); !ok) {
        if (ok.error().code == "store") return ok.error();
        return over(ok.error().message);
    }
    if (!done->get<bool>()) {
        // An empty chunk that is not the end: the copy's last groups are not committed yet.
        if (chunk.empty()) nextAt_ = clock_.now() + kPendingRetry;
        return std::optional<Finished>{};
    }
    if (auto ok = install_->finish(seq_, digest_); !ok) {
        if (ok.error().code == "store") return ok.error();
        return over(ok.error().message);
    }
    Finished f{seq_, install_->records(), std::chrono::duration<double>(clock_.now() - started_).count()};
    install_.reset();
    return std::optional<Finished>{f};
}

}  // namespace jupiter
