#pragma once
// A small, independent reading of RFC 9112 message framing, written for tests only:
// where does each request of a byte stream end, if it is well-formed? It works on
// whole strings, line by line, and shares no code with http/framing.cpp or llhttp,
// so the parser can be checked against it (never more requests, never other
// boundaries). Choices it shares with uringd's documented rules: CRLF only (no bare
// LF), no obs-fold, obs-text allowed in values and the target, empty lines before a
// request-line ignored, Transfer-Encoding only as a single final "chunked".
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uringd::reference {

struct Message {
    std::size_t head_end;  // one past the empty line that ends the head
    std::size_t end;       // one past the body
    bool complete;         // false: the body is cut short by the end of the input (last one only)
};

namespace detail {

inline bool tchar(unsigned char c) {
    if (c >= '0' && c <= '9') return true;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

inline bool token(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s)
        if (!tchar(c)) return false;
    return true;
}

inline bool field_value(std::string_view s) {
    for (unsigned char c : s)
        if (c != '\t' && (c < 0x20 || c == 0x7f)) return false;
    return true;
}

inline std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

enum class Body { Ok, Incomplete, Malformed };

// The line starting at `pos`, without its CRLF; nullopt when no CRLF follows or a
// bare CR or LF comes first. `cut`: the input ended before the line did.
inline std::optional<std::string_view> line_at(std::string_view in, std::size_t pos, std::size_t& next,
                                               bool* cut = nullptr) {
    const std::size_t crlf = in.find("\r\n", pos);
    if (crlf == std::string_view::npos) {
        if (cut) *cut = in.find_first_of("\r\n", pos) == std::string_view::npos || in.back() == '\r';
        return std::nullopt;
    }
    const std::string_view line = in.substr(pos, crlf - pos);
    if (line.find_first_of("\r\n") != std::string_view::npos) return std::nullopt;
    next = crlf + 2;
    return line;
}

inline bool request_line(std::string_view line) {
    const std::size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || !token(line.substr(0, sp1))) return false;
    const std::size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;
    for (unsigned char c : line.substr(sp1 + 1, sp2 - sp1 - 1))
        if (c <= 0x20 || c == 0x7f) return false;
    const std::string_view v = line.substr(sp2 + 1);
    return v.size() == 8 && v.substr(0, 5) == "HTTP/" && v[5] >= '0' && v[5] <= '9' && v[6] == '.' && v[7] >= '0' &&
           v[7] <= '9';
}

struct Fields {
    std::vector<std::string> content_length;
    std::vector<std::string> transfer_encoding;
};

// Field lines up to and including the empty line; false when one is malformed.
inline bool fields(std::string_view in, std::size_t& pos, Fields* out) {
    while (true) {
        std::size_t next = 0;
        const auto line = line_at(in, pos, next);
        if (!line) return false;
        pos = next;
        if (line->empty()) return true;
        const std::size_t colon = line->find(':');
        if (colon == std::string_view::npos || !token(line->substr(0, colon))) return false;
        const std::string_view value = line->substr(colon + 1);
        if (!field_value(value)) return false;
        if (!out) continue;
        const std::string name = lower(line->substr(0, colon));
        if (name == "content-length") out->content_length.emplace_back(trim(value));
        if (name == "transfer-encoding") out->transfer_encoding.emplace_back(trim(value));
    }
}

inline Body chunked_body(std::string_view in, std::size_t& pos) {
    while (true) {
        std::size_t next = 0;
        bool cut = false;
        const auto line = line_at(in, pos, next, &cut);
        if (!line) return cut ? Body::Incomplete : Body::Malformed;
        std::size_t digits = 0;
        unsigned long long size = 0;
        while (digits < line->size() && std::isxdigit(static_cast<unsigned char>((*line)[digits]))) {
            if (digits == 16) return Body::Malformed;
            const char c = (*line)[digits++];
            size = size * 16 + static_cast<unsigned>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        if (digits == 0) return Body::Malformed;
        const std::string_view ext = line->substr(digits);
        if (!ext.empty() && ext.find(';') == std::string_view::npos) return Body::Malformed;
        if (!field_value(ext)) return Body::Malformed;
        pos = next;
        if (size == 0) return fields(in, pos, nullptr) ? Body::Ok : Body::Malformed;
        if (in.size() - pos < size + 2) return Body::Incomplete;
        if (in.substr(pos + size, 2) != "\r\n") return Body::Malformed;
        pos += size + 2;
    }
}

}  // namespace detail

// Every well-formed request from the start of `in`, in order; stops at the first
// that is malformed or incomplete. A last one whose head is whole but whose body the
// input cuts short is listed with complete = false.
inline std::vector<Message> frame_requests(std::string_view in) {
    using namespace detail;
    std::vector<Message> out;
    std::size_t pos = 0;
    while (pos < in.size()) {
        while (in.substr(pos, 2) == "\r\n") pos += 2;  // RFC 9112 §2.2
        std::size_t next = 0;
        const auto line = line_at(in, pos, next);
        if (!line || !request_line(*line)) break;
        pos = next;
        Fields f;
        if (!fields(in, pos, &f)) break;
        const std::size_t head_end = pos;
        const bool http10 = line->substr(line->size() - 3) == "1.0";
        if (!f.transfer_encoding.empty()) {
            if (http10 || !f.content_length.empty()) break;
            if (f.transfer_encoding.size() != 1 || lower(f.transfer_encoding[0]) != "chunked") break;
            const Body b = chunked_body(in, pos);
            if (b == Body::Incomplete) out.push_back({head_end, in.size(), false});
            if (b != Body::Ok) break;
        } else if (!f.content_length.empty()) {
            if (f.content_length.size() != 1 || f.content_length[0].empty()) break;
            // 1*DIGIT, any number of leading zeros; at most 18 digits of value.
            const std::string& text = f.content_length[0];
            const std::size_t first = std::min(text.find_first_not_of('0'), text.size());
            unsigned long long n = 0;
            bool ok = text.size() - first <= 18;
            for (char c : text) ok = ok && c >= '0' && c <= '9', n = n * 10 + static_cast<unsigned>(c - '0');
            if (!ok) break;
            if (in.size() - pos < n) {
                out.push_back({head_end, in.size(), false});
                break;
            }
            pos += n;
        }
        out.push_back({head_end, pos, true});
    }
    return out;
}

}  // namespace uringd::reference
