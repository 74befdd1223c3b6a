// etcd v3 JSON client; see etcd_client.hpp.
#include "election/etcd_client.hpp"

#include <charconv>
#include <memory>
#include <mutex>

#include <curl/curl.h>
#include <czmq.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace jupiter {
namespace {

// libcurl's global state, set up once per process before the first handle.
void initCurlOnce() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t appendBody(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

// etcd's JSON gateway writes 64-bit integers as strings.
int64_t jsonInt(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end()) return 0;
    if (it->is_string()) {
        int64_t v = 0;
        const auto& s = it->get_ref<const std::string&>();
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        return ec == std::errc() && end == s.data() + s.size() ? v : 0;
    }
    if (it->is_number_integer()) return it->get<int64_t>();
    return 0;
}

Result<EtcdValue> valueFrom(const nlohmann::json& kv) {
    EtcdValue v;
    auto value = base64Decode(kv.value("value", std::string()));
    if (!value) return makeError("etcd", "etcd returned a value that is not base64");
    v.value = std::move(*value);
    v.createRevision = jsonInt(kv, "create_revision");
    v.lease = jsonInt(kv, "lease");
    return v;
}

}  // namespace

void setEtcdRequest(void* curl, const std::string& url, const EtcdCredentials& tls, Millis timeout,
                    std::string& response) {
    CURL* c = static_cast<CURL*>(curl);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    if (!tls.caFile.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, tls.caFile.c_str());
    if (!tls.certFile.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, tls.certFile.c_str());
    if (!tls.keyFile.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, tls.keyFile.c_str());
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, appendBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);
}

std::string base64Encode(std::string_view bytes) {
    zarmour_t* armour = zarmour_new();
    zarmour_set_mode(armour, ZARMOUR_MODE_BASE64_STD);
    zarmour_set_line_breaks(armour, false);
    char* text = zarmour_encode(armour, reinterpret_cast<const byte*>(bytes.data()), bytes.size());
    std::string out = text ? text : "";
    zstr_free(&text);
    zarmour_destroy(&armour);
    return out;
}

std::optional<std::string> base64Decode(std::string_view text) {
    if (text.empty()) return std::string();
    zarmour_t* armour = zarmour_new();
    zarmour_set_mode(armour, ZARMOUR_MODE_BASE64_STD);
    zarmour_set_line_breaks(armour, false);
    const std::string z(text);
    zchunk_t* chunk = zarmour_decode(armour, z.c_str());
    zarmour_destroy(&armour);
    if (!chunk) return std::nullopt;
    std::string out(reinterpret_cast<const char*>(zchunk_data(chunk)), zchunk_size(chunk));
    zchunk_destroy(&chunk);
    // zarmour appends a terminating zero to what it decodes.
    if (!out.empty() && out.back() == '\0') out.pop_back();
    return out;
}

// What etcd says when a request lacks a valid token: authenticate again, then retry once.
bool etcdTokenRefused(const std::string& message) {
    return message.find("user name is empty") != std::string::npos ||
           message.find("invalid auth token") != std::string::npos ||
           message.find("revision of auth store is old") != std::string::npos;
}

EtcdClient::EtcdClient(std::vector<std::string> endpoints, Millis timeout, EtcdCredentials credentials)
    : endpoints_(std::move(endpoints)),
      timeout_(timeout),
      credentials_(std::move(credentials)),
      tokens_(endpoints_.size()),
      authOff_(endpoints_.size(), false) {
    initCurlOnce();
    if (endpoints_.empty()) throw std::invalid_argument("EtcdClient needs at least one endpoint");
    curl_ = curl_easy_init();
    if (!curl_) throw std::runtime_error("libcurl could not create a handle");
}

EtcdClient::~EtcdClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

bool etcdPeerServing(const std::string& peerUrl, const EtcdCredentials& tls, Millis timeout) {
    initCurlOnce();
    std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
    if (!c) return false;
    std::string response;
    setEtcdRequest(c.get(), peerUrl + "/members", tls, timeout, response);
    // The peer handler answers HTTP/1.1 (over HTTP/2 etcd 3.4 resets the stream).
    curl_easy_setopt(c.get(), CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    if (curl_easy_perform(c.get()) != CURLE_OK) return false;
    long status = 0;
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
    return status == 200;
}

Result<Doc> EtcdClient::postTo(std::size_t at, const std::string& path, const std::string& body) {
    const std::string& endpoint = endpoints_[at];
    CURL* c = static_cast<CURL*>(curl_);
    curl_easy_reset(c);
    std::string response;
    setEtcdRequest(c, endpoint + path, credentials_, timeout_, response);
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
        curl_slist_append(nullptr, "Content-Type: application/json"), &curl_slist_free_all);
    if (!tokens_[at].empty()) {
        const std::string auth = "Authorization: " + tokens_[at];
        curl_slist_append(headers.get(), auth.c_str());  // appends to the list it is given
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        return makeError("unavailable", fmt::format("etcd at {} did not answer {}: {}", endpoint, path,
                                                    curl_easy_strerror(rc)));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    auto doc = nlohmann::json::parse(response, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return makeError("etcd", fmt::format("etcd at {} answered {} with something that is not JSON", endpoint, path));
    if (status != 200)
        return makeError(status >= 500 ? "unavailable" : "etcd",
                         fmt::format("etcd at {} refused {} (HTTP {}): {}", endpoint, path, status,
                                     doc.value("message", doc.value("error", std::string("no message")))));
    return Doc(std::move(doc));
}

Status EtcdClient::authenticate(std::size_t at) {
    tokens_[at].clear();
    const std::string body = Doc{{"name", credentials_.user}, {"password", credentials_.password}}.dump();
    auto r = postTo(at, "/v3/auth/authenticate", body);
    if (!r) {
        if (r.error().message.find("authentication is not enabled") != std::string::npos) {
            authOff_[at] = true;
            return Ok{};
        }
        return makeError(r.error().code, fmt::format("{} (as etcd user {}; its password is in the file the "
                                                      "configuration's [etcd] password_file names)",
                                                      r.error().message, credentials_.user));
    }
    authOff_[at] = false;
    tokens_[at] = r->value("token", std::string());
    if (tokens_[at].empty()) return makeError("etcd", fmt::format("etcd at {} gave no token", endpoints_[at]));
    return Ok{};
}

Result<Doc> EtcdClient::callAt(std::size_t at, const std::string& path, const std::string& body) {
    const bool auth = !credentials_.user.empty();
    if (auth && tokens_[at].empty() && !authOff_[at])
        if (auto s = authenticate(at); !s) return s.error();
    auto r = postTo(at, path, body);
    if (!r && auth && etcdTokenRefused(r.error().message)) {
        if (auto s = authenticate(at); !s) return s.error();
        r = postTo(at, path, body);
    }
    return r;
}

Result<EtcdClient::StreamAccess> EtcdClient::streamAccess(bool renewToken) {
    const std::size_t at = current_;
    if (!credentials_.user.empty() && !authOff_[at] && (renewToken || tokens_[at].empty()))
        if (auto s = authenticate(at); !s) return s.error();
    return StreamAccess{endpoints_[at], tokens_[at]};
}

Result<Doc> EtcdClient::call(const std::string& path, const Doc& body) {
    const std::string text = body.dump();
    Error last = makeError("unavailable", "no etcd endpoint");
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
        const std::size_t at = (current_ + i) % endpoints_.size();
        auto r = callAt(at, path, text);
        if (r) {
            current_ = at;
            return r;
        }
        last = r.error();
        if (last.code != "unavailable") return last;  // etcd answered: another member would say the same
    }
    return makeError("unavailable", fmt::format("no etcd member answered (tried {}); last: {}",
                                                fmt::join(endpoints_, ", "), last.message));
}

Result<EtcdLease> EtcdClient::grantLease(int64_t ttlSeconds) {
    auto r = call("/v3/lease/grant", {{"TTL", ttlSeconds}});
    if (!r) return r.error();
    EtcdLease lease{jsonInt(*r, "ID"), jsonInt(*r, "TTL")};
    if (lease.id == 0) return makeError("etcd", fmt::format("etcd granted no lease: {}", r->value("error", "")));
    return lease;
}

Result<EtcdRenewal> EtcdClient::keepAlive(int64_t leaseId) {
    auto r = call("/v3/lease/keepalive", {{"ID", std::to_string(leaseId)}});
    if (!r) return r.error();
    const auto result = r->find("result");
    if (result == r->end()) return makeError("etcd", "etcd's keepalive answer has no result");
    // 0 when the answer carries no revision: the caller then reads its key back, as it would anyway.
    return EtcdRenewal{jsonInt(*result, "TTL"), jsonInt(result->value("header", Doc::object()), "revision")};
}

Status EtcdClient::revoke(int64_t leaseId) {
    auto r = call("/v3/lease/revoke", {{"ID", std::to_string(leaseId)}});
    if (!r) return r.error();
    return Ok{};
}

Result<EtcdClaim> EtcdClient::createIfAbsent(const std::string& key, const std::string& value, int64_t leaseId,
                                             const std::optional<EtcdTermGuard>& term) {
    const std::string k = base64Encode(key);
    Doc compare = Doc::array({{{"key", k}, {"target", "CREATE"}, {"create_revision", "0"}}});
    Doc success = Doc::array({{{"request_put", {{"key", k}, {"value", base64Encode(value)},
                                                {"lease", std::to_string(leaseId)}}}}});
    if (term) {
        const std::string t = base64Encode(term->key);
        compare.push_back({{"key", t}, {"target", "MOD"}, {"mod_revision", std::to_string(term->modRevision)}});
        success.push_back({{"request_put", {{"key", t}, {"value", base64Encode(value)}}}});
    }
    Doc txn = {{"compare", std::move(compare)},
               {"success", std::move(success)},
               {"failure", Doc::array({{{"request_range", {{"key", k}}}}})}};
    auto r = call("/v3/kv/txn", txn);
    if (!r) return r.error();
    EtcdClaim claim;
    claim.created = r->value("succeeded", false);
    if (claim.created) {
        claim.current.value = value;
        claim.current.lease = leaseId;
        claim.current.createRevision = jsonInt(r->value("header", Doc::object()), "revision");
        if (claim.current.createRevision <= 0) return makeError("etcd", "etcd's transaction answer has no revision");
        return claim;
    }
    // Someone holds it: read it from the failure branch's range answer.
    for (const auto& resp : r->value("responses", Doc::array())) {
        const auto range = resp.find("response_range");
        if (range == resp.end()) continue;
        for (const auto& kv : range->value("kvs", Doc::array())) {
            auto v = valueFrom(kv);
            if (!v) return v.error();
            claim.current = std::move(*v);
            return claim;
        }
    }
    // The holder's lease expired between the compare and the range: nobody holds it now.
    return claim;
}

Result<std::optional<EtcdValue>> EtcdClient::get(const std::string& key) { return range(key, false); }

Result<std::optional<EtcdValue>> EtcdClient::getLocal(const std::string& key) { return range(key, true); }

Result<std::optional<EtcdValue>> EtcdClient::range(const std::string& key, bool serializable) {
    Doc request = {{"key", base64Encode(key)}};
    if (serializable) request["serializable"] = true;
    auto r = call("/v3/kv/range", request);
    if (!r) return r.error();
    for (const auto& kv : r->value("kvs", Doc::array())) {
        auto v = valueFrom(kv);
        if (!v) return v.error();
        return std::optional<EtcdValue>(std::move(*v));
    }
    return std::optional<EtcdValue>();
}

Result<EtcdElection> EtcdClient::readElection(const std::string& key, const std::string& termKey) {
    Doc txn = {{"success", Doc::array({{{"request_range", {{"key", base64Encode(key)}}}},
                                       {{"request_range", {{"key", base64Encode(termKey)}}}}})}};
    auto r = call("/v3/kv/txn", txn);
    if (!r) return r.error();
    EtcdElection e;
    e.revision = jsonInt(r->value("header", Doc::object()), "revision");
    if (e.revision <= 0) return makeError("etcd", "etcd's transaction answer has no revision");
    const auto responses = r->value("responses", Doc::array());
    if (responses.size() != 2) return makeError("etcd", "etcd's read of the election has not two answers");
    for (std::size_t i = 0; i < 2; ++i) {
        const auto range = responses[i].find("response_range");
        if (range == responses[i].end()) return makeError("etcd", "etcd's read of the election has no range answer");
        for (const auto& kv : range->value("kvs", Doc::array())) {
            if (i == 0) {
                auto v = valueFrom(kv);
                if (!v) return v.error();
                e.holder = std::move(*v);
            } else {
                e.termRevision = jsonInt(kv, "mod_revision");
            }
        }
    }
    return e;
}

}  // namespace jupiter
