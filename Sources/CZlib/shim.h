// SPDX-License-Identifier: Apache-2.0
// zlib (apt: zlib1g-dev), for gzip'd pprof (.pb.gz).
#include <zlib.h>
