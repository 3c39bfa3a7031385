// SPDX-License-Identifier: Apache-2.0
// libdw, libdwfl and libelf from elfutils (apt: libdw-dev libelf-dev; pkg-config: libdw).
#include <elfutils/libdwfl.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/version.h>
#include <dwarf.h>
#include <gelf.h>
#include <libelf.h>
