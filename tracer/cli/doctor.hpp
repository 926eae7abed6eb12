// glassbox doctor's verdicts (tracer/cli/doctor.cpp, docs/doctor.md): from the kernel feature
// probes to what glassbox will record and enforce on this machine, and the exit status. Split
// from the CLI file so the unit tier can check the verdicts on made-up kernels.
#pragma once

#include <glassbox/kernel_features.hpp>

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
    std::string family; // e.g. "process (exec, fork, exit)", "network rules"
    verdict state = verdict::unknown;
    std::string detail; // why, in one sentence
};

// What `glassbox run` records here, one row per event family, decided from the probes alone.
// (One function on purpose: a dry load of the recorder can replace it and keep the output.)
std::vector<capability> recording_capabilities(const kernel_features& k);

// What `glassbox enforce` enforces here, one row per rule family.
std::vector<capability> enforcement_capabilities(const kernel_features& k);

// 77 without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN; else 1 when a row is partial, no or
// unknown; else 0.
int exit_status(const kernel_features& k, const std::vector<capability>& recording,
                const std::vector<capability>& enforcement);

// The --json document (docs/doctor.md).
nlohmann::ordered_json to_json(const kernel_features& k, const std::vector<capability>& recording,
                       const std::vector<capability>& enforcement);

} // namespace glassbox::doctor
