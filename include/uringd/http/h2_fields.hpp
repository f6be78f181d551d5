#pragma once
// HTTP/2 fields (RFC 9113 §8.3): a response head as ":status" first, names in lower
// case, none of the connection-specific fields HTTP/1.1 uses (§8.2.2). Pure.
#include <uringd/http/response.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace uringd::http {

// Fields in one string, each found again by its offsets (no search, one copy of
// every name and value). Cleared for reuse, its storage kept.
class H2Fields {
public:
    void add(std::string_view name, std::string_view value);
    void append(const H2Fields& other);
    void clear() {
        text_.clear();
        spans_.clear();
    }
    std::size_t size() const { return spans_.size(); }
    std::string_view name(std::size_t i) const { return {text_.data() + spans_[i].name, spans_[i].name_len}; }
    std::string_view value(std::size_t i) const { return {text_.data() + spans_[i].value, spans_[i].value_len}; }

private:
    struct Span {
        uint32_t name;
        uint32_t name_len;
        uint32_t value;
        uint32_t value_len;
    };
    std::string text_;
    std::vector<Span> spans_;
};

// The head's fields, in the order HTTP/1.1 writes them (its `extra` lines too).
void append_h2_fields(const ResponseHead& head, H2Fields& out);
// Header lines as HTTP/1.1 writes them ("Name: value\r\n"…): lower-cased, the
// connection-specific ones dropped (a site's extra headers, converted once).
void append_h2_lines(std::string_view lines, H2Fields& out);

// RFC 9218 §4.1: the urgency (0 … 7) a "priority" field asks for; 3 when it names
// none or is malformed.
int priority_urgency(std::string_view field);

// RFC 9113 §8.2.2: fields that only make sense on one HTTP/1.1 connection.
bool is_connection_specific(std::string_view lower_name);

}  // namespace uringd::http
