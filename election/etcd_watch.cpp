// A watch on one etcd key over libcurl's multi interface; see etcd_watch.hpp.
#include "election/etcd_watch.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

namespace jupiter {
namespace {

constexpr Millis kRetry{250};                // between tries to open the watch
constexpr Millis kConnect{250};              // to connect to a member
constexpr std::size_t kMaxMessage = 1 << 20;  // a line longer than this is no answer of etcd's

CURLM* multi(void* m) { return static_cast<CURLM*>(m); }
CURL* easy(void* e) { return static_cast<CURL*>(e); }

}  // namespace

EtcdWatch::EtcdWatch(EtcdClient& client, std::string key)
    : client_(client),
      body_(nlohmann::json{{"create_request", {{"key", base64Encode(key)}}}}.dump()),
      multi_(curl_multi_init()),
      easy_(curl_easy_init()) {
    if (!multi_ || !easy_) throw std::runtime_error("libcurl could not create the etcd watch's handles");
}

EtcdWatch::~EtcdWatch() {
    if (running_) curl_multi_remove_handle(multi(multi_), easy(easy_));
    curl_slist_free_all(static_cast<curl_slist*>(headers_));
    curl_easy_cleanup(easy(easy_));
    curl_multi_cleanup(multi(multi_));
}

void EtcdWatch::wake() {
    woken_ = true;
    curl_multi_wakeup(multi(multi_));
}

void EtcdWatch::start(TimePoint now) {
    retryAt_ = now + kRetry;
    auto access = client_.streamAccess(std::exchange(renewToken_, false));
    if (!access) return;
    endpoint_ = access->endpoint;
    received_.clear();
    curl_easy_reset(easy(easy_));
    setEtcdRequest(easy_, endpoint_ + "/v3/watch", client_.credentials(), kConnect, received_);
    curl_easy_setopt(easy(easy_), CURLOPT_TIMEOUT_MS, 0L);  // a stream: no end is due
    curl_slist_free_all(static_cast<curl_slist*>(headers_));
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    if (!access->token.empty()) headers = curl_slist_append(headers, ("Authorization: " + access->token).c_str());
    headers_ = headers;
    curl_easy_setopt(easy(easy_), CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy(easy_), CURLOPT_POST, 1L);
    curl_easy_setopt(easy(easy_), CURLOPT_POSTFIELDS, body_.c_str());
    curl_easy_setopt(easy(easy_), CURLOPT_POSTFIELDSIZE, static_cast<long>(body_.size()));
    running_ = curl_multi_add_handle(multi(multi_), easy(easy_)) == CURLM_OK;
}

void EtcdWatch::finish(TimePoint now) {
    if (running_) curl_multi_remove_handle(multi(multi_), easy(easy_));
    running_ = false;
    open_ = false;
    retryAt_ = std::max(retryAt_, now);
}

bool EtcdWatch::readMessages(TimePoint now) {
    bool news = false;
    std::size_t from = 0;
    for (std::size_t end; running_ && (end = received_.find('\n', from)) != std::string::npos; from = end + 1) {
        const auto message = nlohmann::json::parse(received_.begin() + static_cast<std::ptrdiff_t>(from),
                                                   received_.begin() + static_cast<std::ptrdiff_t>(end), nullptr, false);
        const auto result = message.is_object() ? message.find("result") : message.end();
        if (!message.is_object() || result == message.end() || !result->is_object() ||
            result->value("canceled", false)) {
            // An error (a refused token, a compacted revision), or not etcd: shut it and open again.
            if (etcdTokenRefused(message.dump())) renewToken_ = true;
            finish(now);
            break;
        }
        if (result->value("created", false)) {
            open_ = true;
            news = true;  // what happened while no watch was open is unknown: read the key
        }
        if (const auto events = result->find("events"); events != result->end() && !events->empty()) news = true;
    }
    received_.erase(0, std::min(from, received_.size()));
    if (received_.size() > kMaxMessage) finish(now);
    if (!running_) received_.clear();
    return news;
}

bool EtcdWatch::wait(const Clock& clock, TimePoint until) {
    for (;;) {
        if (woken_.exchange(false)) return false;
        TimePoint now = clock.now();
        // Follow the client to the member that answers it: ours may be cut off from the others.
        if (running_ && client_.lastEndpoint() != endpoint_) finish(now);
        if (!running_ && now >= retryAt_) start(now);
        int transfers = 0;
        curl_multi_perform(multi(multi_), &transfers);
        const bool news = readMessages(now);
        int queued = 0;
        while (CURLMsg* m = curl_multi_info_read(multi(multi_), &queued))
            if (m->msg == CURLMSG_DONE) finish(now);  // its last words were read above
        if (news) return true;
        now = clock.now();
        if (now >= until) return false;
        const TimePoint wakeAt = running_ ? until : std::min(until, retryAt_);
        const auto left = std::chrono::ceil<Millis>(wakeAt - now).count();
        curl_multi_poll(multi(multi_), nullptr, 0, static_cast<int>(std::clamp<int64_t>(left, 0, 60'000)), nullptr);
    }
}

}  // namespace jupiter
