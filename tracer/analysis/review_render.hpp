// Internal to the review renderers: the JSON form (the stable contract) and the HTML dossier,
// which embeds it.
#pragma once

#include <glassbox/review.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace glassbox::analysis {

nlohmann::json review_json(const review_report& r);
std::string render_review_html(const review_report& r);

} // namespace glassbox::analysis
