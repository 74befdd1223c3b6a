// Field value rules and domain errors; see fields.hpp.
#include "domain/fields.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jupiter {
namespace {

constexpr std::array<std::string_view, 4> kDocTypes = {"CEDULA", "TARJETA_IDENTIDAD", "PASAPORTE",
                                                       "CEDULA_EXTRANJERIA"};

bool isBlank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

const Doc* field(const Doc& body, std::string_view name) {
    auto it = body.find(name);
    return it == body.end() ? nullptr : &*it;
}

}  // namespace

bool isDocType(std::string_view v) { return std::find(kDocTypes.begin(), kDocTypes.end(), v) != kDocTypes.end(); }

Status takeText(const Doc& body, std::string_view name, std::string& out, bool required) {
    const Doc* v = field(body, name);
    if (!v) return required ? Status(badField(name, "is required")) : Status(Ok{});
    if (!v->is_string()) return badField(name, "must be a string");
    const auto& s = v->get_ref<const std::string&>();
    if (isBlank(s)) return badField(name, "must not be empty");
    out = s;
    return Ok{};
}

Status takeDocType(const Doc& body, std::string_view name, std::string& out, bool required) {
    std::string v;
    if (auto st = takeText(body, name, v, required); !st) return st;
    if (v.empty()) return Ok{};  // absent and optional
    if (!isDocType(v))
        return badField(name, fmt::format("is '{}'; it must be one of {}", v, fmt::join(kDocTypes, ", ")));
    out = std::move(v);
    return Ok{};
}

Status takeQuantity(const Doc& body, std::string_view name, int64_t& out, int64_t max, bool required) {
    const Doc* v = field(body, name);
    if (!v) return required ? Status(badField(name, "is required")) : Status(Ok{});
    if (!v->is_number_integer()) return badField(name, "must be an integer");
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(max))
        return badField(name, fmt::format("is {}, above the maximum of {}", v->get<uint64_t>(), max));
    const auto q = v->get<int64_t>();
    if (q <= 0) return badField(name, fmt::format("must be > 0, got {}", q));
    if (q > max) return badField(name, fmt::format("is {}, above the maximum of {}", q, max));
    out = q;
    return Ok{};
}

void takeId(const Doc& body, std::string_view name, uint64_t& out) {
    if (const Doc* v = field(body, name); v && v->is_number_integer()) out = v->get<uint64_t>();
}

Error badField(std::string_view name, std::string_view problem) {
    return makeError("bad_field", fmt::format("field '{}' {}", name, problem), std::string(name));
}

Error notFound(std::string_view entity, uint64_t id, std::string_view field) {
    return makeError("not_found", fmt::format("{} {} does not exist", entity, id), std::string(field));
}

Error rejected(std::string message, std::string_view field) {
    return makeError("rejected", std::move(message), std::string(field));
}

}  // namespace jupiter
