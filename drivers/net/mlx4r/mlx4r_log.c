/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The driver's log types (DRV_LOG, INIT_LOG and RST_LOG of mlx4r.h):
 * pmd.net.mlx4r, pmd.net.mlx4r.init, pmd.net.mlx4r.reset.
 */

#include <rte_log.h>

#include "mlx4r.h"

RTE_LOG_REGISTER_DEFAULT(mlx4r_logtype, NOTICE);
RTE_LOG_REGISTER_SUFFIX(mlx4r_logtype_init, init, NOTICE);
RTE_LOG_REGISTER_SUFFIX(mlx4r_logtype_reset, reset, NOTICE);
