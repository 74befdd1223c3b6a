// A doctest listener that counts failed checks; see failure_logs.hpp.
#include "failure_logs.hpp"

#include <atomic>

#include <doctest/doctest.h>

namespace jupiter::testing {
namespace {

std::atomic<std::size_t> failed{0};

// Listens only: the console reporter still prints everything.
struct FailureCounter : doctest::IReporter {
    explicit FailureCounter(const doctest::ContextOptions&) {}
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {}
    void test_case_start(const doctest::TestCaseData&) override {}
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats&) override {}
    void test_case_exception(const doctest::TestCaseException&) override { ++failed; }
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData& a) override {
        if (a.m_failed) ++failed;
    }
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

std::size_t failedChecks() { return failed.load(); }

}  // namespace jupiter::testing

DOCTEST_REGISTER_LISTENER("failure_counter", 1, jupiter::testing::FailureCounter);
