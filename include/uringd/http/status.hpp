#pragma once
// HTTP status codes the server emits, with their reason phrases (RFC 9110 §15).
#include <cstdint>
#include <string_view>

namespace uringd::http {

enum class Status : uint16_t {
    Ok = 200,
    NoContent = 204,
    PartialContent = 206,
    MovedPermanently = 301,
    NotModified = 304,
    PermanentRedirect = 308,
    BadRequest = 400,
    Forbidden = 403,
    NotFound = 404,
    MethodNotAllowed = 405,
    NotAcceptable = 406,
    RequestTimeout = 408,
    LengthRequired = 411,
    PreconditionFailed = 412,
    ContentTooLarge = 413,
    UriTooLong = 414,
    RangeNotSatisfiable = 416,
    ExpectationFailed = 417,
    MisdirectedRequest = 421,
    HeaderFieldsTooLarge = 431,
    InternalServerError = 500,
    NotImplemented = 501,
    ServiceUnavailable = 503,
    VersionNotSupported = 505,
};

std::string_view reason_phrase(Status s);
constexpr int code(Status s) { return static_cast<int>(s); }

}  // namespace uringd::http
