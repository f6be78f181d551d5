#pragma once
// A response head as HTTP/2 fields (RFC 9113 §8.3.2): ":status" first, names in
// lower case, and none of the connection-specific fields HTTP/1.1 uses (§8.2.2).
// Pure: appends "name\0value\0" pairs to a string the caller owns.
#include <uringd/http/response.hpp>

#include <string>
#include <string_view>

namespace uringd::http {

void append_h2_fields(const ResponseHead& head, std::string& out);
// Header lines as HTTP/1.1 writes them ("Name: value\r\n"…): lower-cased, the
// connection-specific ones dropped (a site's extra headers, packed once).
void append_h2_lines(std::string_view lines, std::string& out);

// The fields of a packed "name\0value\0…" string, in order.
class H2FieldReader {
public:
    explicit H2FieldReader(std::string_view packed) : rest_(packed) {}
    bool next(std::string_view& name, std::string_view& value);

private:
    std::string_view rest_;
};

// RFC 9218 §4.1: the urgency (0 … 7) a "priority" field asks for; 3 when it names
// none or is malformed.
int priority_urgency(std::string_view field);

// RFC 9113 §8.2.2: fields that only make sense on one HTTP/1.1 connection.
bool is_connection_specific(std::string_view lower_name);

}  // namespace uringd::http
