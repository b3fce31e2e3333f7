// pch.cpp - the one source of the precompiled-header targets (cmake/precompiled_headers.cmake):
// CMake builds a target's precompiled header only for a target with sources.
