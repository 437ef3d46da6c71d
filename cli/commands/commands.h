// The lode subcommands. Each file in cli/commands/ adds one subcommand to the application; when the
// subcommand runs, its exit code (cli/common.h) is stored in `rc`. Problems that stop a command
// before it starts (unknown registry, unreadable file) are thrown as cli::UsageError.
#pragma once
#include <CLI/CLI.hpp>

namespace lode::cli {

void addCheckCommand(CLI::App& app, int& rc);
void addPriceCommand(CLI::App& app, int& rc);
void addExplainCommand(CLI::App& app, int& rc);
void addTestCommand(CLI::App& app, int& rc);

}  // namespace lode::cli
