// Query load generator; see load.hpp.
#include "load.hpp"

namespace jupiter::testing {

QueryLoad::QueryLoad(zmq::context_t& ctx, const Credentials& credentials, std::vector<std::string> endpoints,
                     int threads)
    : ctx_(ctx), credentials_(credentials), endpoints_(std::move(endpoints)) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this, i] { run(static_cast<std::size_t>(i)); });
}

QueryLoad::~QueryLoad() { stop(); }

void QueryLoad::stop() {
    stop_ = true;
    for (auto& t : threads_)
        if (t.joinable()) t.join();
}

void QueryLoad::run(std::size_t start) {
    FailoverOptions o;
    o.start = start;
    FailoverClient c(ctx_, credentials_, endpoints_, o);
    uint64_t seenFailovers = 0;
    while (!stop_) {
        // One call with a generous budget: the gateways and the client's failover between them, not
        // retries of failed answers, must mask failures.
        auto r = c.call(makeRequest(Kind::Query, "inventory.value", Doc::object()), Millis(15000));
        failovers_ += c.failovers() - seenFailovers;
        seenFailovers = c.failovers();
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

CommandLoad::CommandLoad(zmq::context_t& ctx, const Credentials& credentials, std::vector<std::string> endpoints,
                         uint64_t product, int threads, uint64_t total)
    : ctx_(ctx), credentials_(credentials), endpoints_(std::move(endpoints)), product_(product), total_(total) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this, i] { run(static_cast<std::size_t>(i)); });
}

CommandLoad::~CommandLoad() { wait(); }

void CommandLoad::wait() {
    for (auto& t : threads_)
        if (t.joinable()) t.join();
}

void CommandLoad::finish() {
    finishing_ = true;
    wait();
}

void CommandLoad::run(std::size_t start) {
    FailoverOptions o;
    o.start = start;
    FailoverClient c(ctx_, credentials_, endpoints_, o);
    while (!finishing_ && next_.fetch_add(1) < total_) {
        ++started_;
        const Envelope cmd = makeRequest(Kind::Command, "stock.receive", {{"product", product_}, {"quantity", 1}});
        const auto giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(90);
        bool done = false;
        for (int attempt = 0; !done && std::chrono::steady_clock::now() < giveUp; ++attempt) {
            if (attempt > 0) ++resends_;
            const uint64_t before = c.failovers();
            auto r = c.call(cmd, Millis(15000));  // same request id on every attempt
            failovers_ += c.failovers() - before;
            if (!r.ok() || r->kind != Kind::Reply) continue;
            done = true;
            ++acked_;
            if (r->body.value("duplicate", false)) ++duplicates_;
            uint64_t seq = r->body["seq"].get<uint64_t>();
            uint64_t cur = maxSeq_.load();
            while (seq > cur && !maxSeq_.compare_exchange_weak(cur, seq)) {
            }
        }
        if (!done) ++abandoned_;
    }
}

}  // namespace jupiter::testing
