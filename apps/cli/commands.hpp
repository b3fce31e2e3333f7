// commands.hpp - every `drover` command, one factory each (see command.hpp). To add a
// command: write its factory in a file of its own and list it in command_list.cpp.
#pragma once

#include <vector>

#include "command.hpp"

namespace drover::cli {

// Every command, in the order `drover --help` lists them (command_list.cpp).
std::vector<command> drover_commands();

command worker_command();               // worker_command.cpp
command add_command();                  // add_command.cpp (with bulk_add.cpp for --file)
command counts_command();               // queue_commands.cpp: `queue counts`, always JSON
command job_command();                  // queue_commands.cpp: `queue job`, always JSON
command events_command();               // events_command.cpp
command schedule_command();             // schedule_command.cpp
std::vector<command> app_commands();    // app_commands.cpp: api, workers, dashboard, migrate
command dlq_command();                  // dlq_command.cpp
std::vector<command> queue_commands();  // queue_commands.cpp: `queue` and its actions
command queue_list_command();           // top_command.cpp: one frame of `top`
command top_command();                  // top_command.cpp
command completion_command();           // completion.cpp
std::vector<command> flow_commands();   // flow_command.cpp: `flow add`, `flow show`

}  // namespace drover::cli
