// Result type for bad external input: either a value or an Error with a stable code and a human message.
// Broken invariants throw or abort instead; "absent / would block" uses std::optional.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace jupiter {

// A failure that is reported to a user or a peer: `code` is stable and machine-readable
// (for example "bad_field", "not_found"), `message` says what was wrong and what to do.
struct Error {
    std::string code;
    std::string message;
    std::string field;  // the request's field the error is about, when it is about one (else empty)
};

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
    Result(Error error) : v_(std::move(error)) {}      // NOLINT: implicit by design

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const Error& error() const { return std::get<1>(v_); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, Error> v_;
};

// Result<void>: success carries nothing.
struct Ok {};
using Status = Result<Ok>;

inline Error makeError(std::string code, std::string message, std::string field = {}) {
    return Error{std::move(code), std::move(message), std::move(field)};
}

}  // namespace jupiter
