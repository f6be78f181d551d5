#include <uringd/http/encoding.hpp>
#include <uringd/http/request.hpp>

#include <algorithm>

namespace uringd::http {

namespace {

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), as thousandths; -1 if invalid.
int parse_q(std::string_view v) {
    if (v.empty() || v.size() > 5 || (v[0] != '0' && v[0] != '1')) return -1;
    int q = (v[0] - '0') * 1000;
    if (v.size() == 1) return q;
    if (v[1] != '.') return -1;
    int scale = 100;
    for (const char c : v.substr(2)) {
        if (c < '0' || c > '9') return -1;
        q += (c - '0') * scale;
        scale /= 10;
    }
    return q > 1000 ? -1 : q;
}

}  // namespace

namespace {

struct CodingNames {
    std::string_view name, suffix;
};
constexpr CodingNames kNames[kCodings] = {{"br", ".br"}, {"zstd", ".zst"}, {"gzip", ".gz"}};  // in Coding order

}  // namespace

std::string_view coding_name(Coding c) { return kNames[static_cast<std::size_t>(c)].name; }

std::string_view sidecar_suffix(Coding c) { return kNames[static_cast<std::size_t>(c)].suffix; }

Negotiation negotiate_encoding(std::optional<std::string_view> field) {
    Negotiation n;
    if (!field) return n;
    // Thousandths; -1 = not mentioned.
    std::array<int, kCodings> q{-1, -1, -1};
    int identity = -1, star = -1;
    std::string_view rest = *field;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string_view item = trim_ows(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        if (item.empty()) continue;
        int weight = 1000;
        if (const auto semi = item.find(';'); semi != std::string_view::npos) {
            const std::string_view param = trim_ows(item.substr(semi + 1));
            item = trim_ows(item.substr(0, semi));
            if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') continue;
            weight = parse_q(param.substr(2));
            if (weight < 0) continue;  // a malformed member is ignored, not the whole field
        }
        if (iequals(item, "br")) q[0] = weight;
        else if (iequals(item, "zstd")) q[1] = weight;
        else if (iequals(item, "gzip") || iequals(item, "x-gzip")) q[2] = weight;
        else if (iequals(item, "identity")) identity = weight;
        else if (item == "*") star = weight;
    }
    for (auto& v : q)
        if (v < 0) v = star < 0 ? 0 : star;
    n.identity_ok = identity > 0 || (identity < 0 && star != 0);
    // Only an explicit "identity;q=…" outranks a coding; left implicit it comes last.
    const int identity_q = identity >= 0 ? identity : 0;
    for (std::size_t i = 0; i < kCodings; ++i)
        if (q[i] > 0 && (!n.identity_ok || q[i] >= identity_q)) n.order[n.count++] = static_cast<Coding>(i);
    std::stable_sort(n.order.begin(), n.order.begin() + static_cast<std::ptrdiff_t>(n.count),
                     [&](Coding a, Coding b) { return q[static_cast<int>(a)] > q[static_cast<int>(b)]; });
    return n;
}

}  // namespace uringd::http
