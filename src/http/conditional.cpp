#include <uringd/http/conditional.hpp>
#include <uringd/http/date.hpp>
#include <uringd/http/request.hpp>

namespace uringd::http {

namespace {

// Splits one entity tag off the front of `s`: [W/]"opaque". False when malformed.
bool next_tag(std::string_view& s, std::string_view& opaque, bool& is_weak) {
    is_weak = s.starts_with("W/");
    if (is_weak) s.remove_prefix(2);
    if (s.empty() || s.front() != '"') return false;
    const auto close = s.find('"', 1);
    if (close == std::string_view::npos) return false;
    opaque = s.substr(0, close + 1);  // quotes included, as our own tags are
    s.remove_prefix(close + 1);
    return true;
}

}  // namespace

bool etag_matches(std::string_view field, std::string_view etag, bool weak) {
    field = trim_ows(field);
    if (etag.empty()) return false;
    if (field == "*") return true;
    const bool ours_weak = etag.starts_with("W/");
    const std::string_view ours = ours_weak ? etag.substr(2) : etag;
    if (!weak && ours_weak) return false;
    while (!field.empty()) {
        std::string_view opaque;
        bool is_weak = false;
        if (!next_tag(field, opaque, is_weak)) return false;
        if (opaque == ours && (weak || !is_weak)) return true;
        field = trim_ows(field);
        if (field.empty()) break;
        if (field.front() != ',') return false;
        field = trim_ows(field.substr(1));
        while (!field.empty() && field.front() == ',') field = trim_ows(field.substr(1));  // empty list elements
    }
    return false;
}

Precondition evaluate_preconditions(const Request& req, const Validators& v) {
    // 1 and 2: the representation must still be the one the client has.
    if (const auto im = req.header("If-Match")) {
        if (!etag_matches(*im, v.etag, false)) return Precondition::Failed;
    } else if (const auto ius = req.header("If-Unmodified-Since")) {
        const auto t = parse_http_date(trim_ows(*ius));
        if (t && v.last_modified >= 0 && v.last_modified > *t) return Precondition::Failed;
    }
    // 3 and 4: the client already has it (GET/HEAD only reach here: 304, never 412).
    if (const auto inm = req.header("If-None-Match")) {
        if (etag_matches(*inm, v.etag, true)) return Precondition::NotModified;
    } else if (const auto ims = req.header("If-Modified-Since")) {
        const auto t = parse_http_date(trim_ows(*ims));
        if (t && v.last_modified >= 0 && v.last_modified <= *t) return Precondition::NotModified;
    }
    return Precondition::Proceed;
}

bool if_range_holds(const Request& req, const Validators& v) {
    const auto ir = req.header("If-Range");
    if (!ir) return true;
    const std::string_view value = trim_ows(*ir);
    if (value.starts_with("W/")) return false;  // never valid in If-Range
    if (value.starts_with('"')) return !v.etag.empty() && value == v.etag;
    const auto t = parse_http_date(value);
    return t && v.last_modified >= 0 && *t == v.last_modified;
}

}  // namespace uringd::http
