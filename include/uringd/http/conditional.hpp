#pragma once
// Conditional requests (RFC 9110 §13): If-Match, If-Unmodified-Since, If-None-Match,
// If-Modified-Since and If-Range against one representation's validators. Pure.
#include <uringd/http/request.hpp>

#include <ctime>
#include <string_view>

namespace uringd::http {

struct Validators {
    std::string_view etag;           // quoted strong entity tag; empty when there is none
    std::time_t last_modified = -1;  // seconds since the epoch; -1 when unknown
};

enum class Precondition : uint8_t { Proceed, NotModified, Failed };

// The outcome of the precondition headers in the order §13.2.2 evaluates them, for
// a representation that exists. Only GET and HEAD reach this.
Precondition evaluate_preconditions(const Request& req, const Validators& v);

// True when a Range header may be honoured: no If-Range, or one whose entity tag
// (strong comparison) or date (exactly Last-Modified) still matches (§13.1.5).
bool if_range_holds(const Request& req, const Validators& v);

// Whether a field value (`*` or a list of entity tags) matches `etag`: strong
// comparison ignores weak tags on either side, weak comparison ignores the W/.
bool etag_matches(std::string_view field, std::string_view etag, bool weak);

}  // namespace uringd::http
