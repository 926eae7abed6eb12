// glassbox doctor's verdicts (tracer/cli/doctor.cpp, docs/doctor.md): from the recorder's dry
// load (what `run` records) and the kernel feature probes (what `enforce` enforces) to the rows,
// the exit status and the JSON document. Split from the CLI file so the unit tier can check the
// verdicts on made-up kernels and coverages.
#pragma once

#include <glassbox/kernel_features.hpp>
#include <glassbox/record.hpp>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace glassbox::doctor {

enum class verdict {
    yes,            // observed / enforced in full
    partial,        // observed / enforced, but narrower (detail says how)
    no,             // not observed / not enforced here
    not_applicable, // the kernel lacks the thing itself, so there is nothing to observe or enforce
    unknown,        // the probes could not tell (without privileges)
};

std::string_view to_string(verdict v);

struct capability {
    std::string family; // e.g. "process exits", "network rules"
    verdict state = verdict::unknown;
    std::string detail; // why, in one sentence
    std::string key = {}; // recording rows: the header's coverage family this row shows
};

// The recorder's dry load: record::recorder::create() as `glassbox run` calls it (the programs
// loaded, optional ones the kernel refuses left out, nothing attached, nothing recorded), then
// destroyed. Its coverage is the very object a trace recorded now carries in its header.
struct recorder_load {
    enum class outcome {
        loaded,    // `cov` holds the coverage
        failed,    // the kernel refused a program the recording needs (or has no BTF): `error`
        not_tried, // not enough privilege to load BPF programs: `error`
    };
    outcome state = outcome::not_tried;
    record::coverage cov;
    std::string error; // the recorder's one-line reason, when not loaded
    double ms = 0;     // how long the load took
};

std::string_view to_string(recorder_load::outcome o);

// Loads and unloads the recorder's BPF programs once (tracer/cli/doctor.cpp).
recorder_load dry_load_recorder();

// What `glassbox run` records here: one row per family of the dry load's coverage, in doctor's
// words; one row saying why when the load failed or was not tried.
std::vector<capability> recording_capabilities(const kernel_features& k, const recorder_load& load);

// What `glassbox enforce` enforces here, one row per rule family.
std::vector<capability> enforcement_capabilities(const kernel_features& k);

// What keeps a traced tree from stopping the recording here (`run --protect`, docs/recording.md
// "Protection"): one row per mode.
std::vector<capability> protection_capabilities(const kernel_features& k);

// 77 without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN; else 1 when a row is partial, no or
// unknown; else 0. `enforcement` here is every row that is not recording's (protection's too).
int exit_status(const kernel_features& k, const std::vector<capability>& recording,
                const std::vector<capability>& enforcement);

// Rows as the --json document's arrays: family, state, detail (and coverage_family).
nlohmann::ordered_json rows_json(const std::vector<capability>& rows);

// The --json document (docs/doctor.md); its `coverage` is the header's object, byte for byte.
nlohmann::ordered_json to_json(const kernel_features& k, const recorder_load& load,
                               const std::vector<capability>& recording, const std::vector<capability>& enforcement);

} // namespace glassbox::doctor
