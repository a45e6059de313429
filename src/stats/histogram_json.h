// A histogram in a result document: `summary.histograms.{connect,response,total}` — sparse
// buckets plus the parameters that fix their meaning, so results from many processes or hosts
// merge exactly (bucket-wise addition) and percentiles are recomputed, never averaged.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "stats/histogram.h"

namespace connperf::stats {

// {"unit":"us","exact_below":256,"sub_buckets":128,"max_value":…,"count":…,"sum":…,"min":…,
//  "max":…,"buckets":[[low,count],…]} — `low` is the smallest value of a non-empty bucket.
nlohmann::json histogram_json(const Histogram& h);

// The inverse. nullopt with `error` set when `j` is not such a document or its parameters differ
// from this build's histogram (then merging would be inexact).
std::optional<Histogram> histogram_from_json(const nlohmann::json& j, std::string& error);

}  // namespace connperf::stats
