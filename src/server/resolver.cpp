#include <uringd/server/resolver.hpp>

namespace uringd::server {

using Action = Resolver::Action;

Action Resolver::start(const config::SiteConfig& site, const http::Negotiation& codings) {
    site_ = &site;
    codings_ = codings;
    phase_ = Phase::Target;
    coding_ = -1;
    path_ = target_.path.empty() ? "." : target_.path;
    return Action::Lookup;
}

Action Resolver::on_found(Found f) {
    switch (phase_) {
    case Phase::Target:
    case Phase::Index: return found_file(f);
    case Phase::Sidecar: return found_sidecar(f);
    case Phase::ErrorPage: return found_error_page(f);
    case Phase::Done: break;
    }
    return finish(http::Status::InternalServerError);  // a caller's bug: nothing was asked
}

Action Resolver::found_file(Found f) {
    const bool index = phase_ == Phase::Index;
    if (f.error) {
        if (index && (f.error == ENOENT || f.error == ENOTDIR)) return next_index();
        return respond(*site_, fs::classify_open_error(f.error).status);
    }
    switch (f.kind) {
    case fs::FileKind::Directory:
        if (index) return respond(*site_, http::Status::Forbidden);
        if (!target_.trailing_slash) {
            phase_ = Phase::Done;
            status_ = http::Status::MovedPermanently;
            return Action::Redirect;
        }
        phase_ = Phase::Index;
        index_try_ = 0;
        return next_index();
    case fs::FileKind::Other: return respond(*site_, http::Status::Forbidden);
    case fs::FileKind::Regular: break;
    }
    // "/file.txt/" names a directory: a file has one URL (as nginx, h2o, lighttpd).
    if (target_.trailing_slash && !index) return respond(*site_, http::Status::NotFound);
    status_ = http::Status::Ok;
    if (!site_->precompressed || (codings_.count == 0 && codings_.identity_ok)) return Action::Serve;
    phase_ = Phase::Sidecar;
    base_len_ = static_cast<uint32_t>(path_.size());
    coding_try_ = 0;
    const Action next = next_sidecar();
    return next == Action::Lookup ? Action::ProbeSidecars : next;
}

Action Resolver::next_index() {
    const auto& index = site_->index;
    if (index_try_ >= index.size()) {
        if (site_->listing) {
            phase_ = Phase::Done;
            status_ = http::Status::Ok;
            return Action::Listing;
        }
        return respond(*site_, http::Status::Forbidden);
    }
    path_ = target_.path.empty() ? index[index_try_] : target_.path + "/" + index[index_try_];
    ++index_try_;
    return Action::Lookup;
}

// The next sidecar the client accepts, best first; when none is left, the plain
// file if the client takes it.
Action Resolver::next_sidecar() {
    path_.resize(base_len_);
    if (coding_try_ == codings_.count) {
        if (!codings_.identity_ok) return respond(*site_, http::Status::NotAcceptable);
        phase_ = Phase::Done;
        return Action::ServeHeld;
    }
    path_ += http::sidecar_suffix(codings_.order[coding_try_]);
    return Action::Lookup;
}

Action Resolver::found_sidecar(Found f) {
    if (f.error || f.kind != fs::FileKind::Regular) {
        ++coding_try_;
        return next_sidecar();
    }
    coding_ = static_cast<int8_t>(codings_.order[coding_try_]);
    path_.resize(base_len_);  // Content-Type and Cache-Control follow the plain name
    phase_ = Phase::Done;
    return Action::Serve;
}

Action Resolver::found_error_page(Found f) {
    if (f.error || f.kind != fs::FileKind::Regular) {
        page_failed_ = true;
        phase_ = Phase::Done;
        return Action::Respond;  // status_ is still the page's status
    }
    return Action::Serve;
}

Action Resolver::respond(const config::SiteConfig& site, http::Status status) {
    site_ = &site;
    coding_ = -1;
    if (page_tried_ || http::code(status) < 400) return finish(status);
    for (const config::ErrorPage& page : site.error_pages) {
        if (page.status != http::code(status)) continue;
        page_tried_ = true;
        phase_ = Phase::ErrorPage;
        status_ = status;
        path_ = page.path;
        return Action::Lookup;
    }
    return finish(status);
}

Action Resolver::finish(http::Status status) {
    phase_ = Phase::Done;
    status_ = status;
    return Action::Respond;
}

void append_directory_location(std::string& out, const http::ResolvedTarget& target) {
    out.clear();  // not assign("/"): GCC 12 warns falsely (-Wrestrict)
    out += '/';
    http::append_encoded_path(out, target.path);
    out += '/';
    if (!target.query.empty()) {
        out += '?';
        out += target.query;
    }
}

}  // namespace uringd::server
