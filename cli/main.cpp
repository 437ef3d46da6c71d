// lode: the command-line front end. Parses arguments with CLI11 and hands over to one command
// (cli/commands/); exit codes are defined in cli/common.h and documented in docs/cli.md.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/commands/commands.h"
#include "cli/common.h"

#ifndef LODE_VERSION
#define LODE_VERSION "dev"
#endif

int main(int argc, char** argv) {
  using namespace lode::cli;
  CLI::App app{"lode: compile, test and run the duty rules of trade agreements"};
  app.set_version_flag("--version", std::string("lode ") + LODE_VERSION);
  app.require_subcommand(1);
  app.footer("Run `lode COMMAND --help` for a command's options. Exit status: 0 ok, 1 findings, 2 usage or I/O error.");

  int rc = kExitOk;
  addCheckCommand(app, rc);
  addPriceCommand(app, rc);
  addExplainCommand(app, rc);
  addTestCommand(app, rc);

  // CLI11 reports a word that names no command as "A subcommand is required": name it instead.
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<CLI::App*> all = app.get_subcommands([](CLI::App*) { return true; });
    std::string names;
    bool known = false;
    for (CLI::App* c : all) {
      known = known || c->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + c->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "lode: unknown command '%s' (the commands: %s; `lode --help` says more)\n", argv[1], names.c_str());
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here too, with exit code 0; everything else is a usage error.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "lode: %s\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lode: internal error: %s\n", e.what());
    return kExitUsage;
  }
  return rc;
}
