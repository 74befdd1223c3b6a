// Query load generator; see load.hpp.
#include "load.hpp"

namespace jupiter::testing {

QueryLoad::QueryLoad(zmq::context_t& ctx, std::string endpoint, int threads) : ctx_(ctx), endpoint_(std::move(endpoint)) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

QueryLoad::~QueryLoad() { stop(); }

void QueryLoad::stop() {
    stop_ = true;
    for (auto& t : threads_)
        if (t.joinable()) t.join();
}

void QueryLoad::run() {
    Client c(ctx_, endpoint_);
    while (!stop_) {
        // One attempt with a generous timeout: the gateway, not the client, must mask failures.
        auto r = c.call(makeRequest(Kind::Query, "inventory.value", Doc::object()), Millis(15000), 1);
        std::lock_guard lock(mu_);
        if (r.ok() && r->kind == Kind::Reply) {
            ++ok_;
            last_ = r->node.value_or("?");
            ++servedBy_[last_];
        } else {
            ++failed_;
            failures_.push_back(r.ok() ? r->body.dump() : r.error().message);
        }
    }
}

std::vector<std::string> QueryLoad::failures() const {
    std::lock_guard lock(mu_);
    return failures_;
}

std::map<std::string, uint64_t> QueryLoad::servedBy() const {
    std::lock_guard lock(mu_);
    return servedBy_;
}

std::string QueryLoad::lastServedBy() const {
    std::lock_guard lock(mu_);
    return last_;
}

}  // namespace jupiter::testing
