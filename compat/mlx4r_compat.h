/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_COMPAT_H
#define MLX4R_COMPAT_H

/**
 * @file
 * The one place where the DPDK versions mlx4r builds against (22.11 and
 * 24.11) differ for its code. Each MLX4R_HAVE_* below is found by meson
 * (compat/meson.build) from the installed DPDK's headers, not from a
 * version number, so that releases in between (e.g. Ubuntu 24.04's 23.11)
 * get what they have. The driver, the application library and the tools
 * use the mlx4r_* names of this file and no #if of their own.
 */

#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_telemetry.h>
#include <rte_thread.h>

#include "mlx4r_compat_config.h"

/*
 * Control threads. DPDK 23.11 replaced rte_ctrl_thread_create() (a
 * pthread_t running void *(*)(void *)) with rte_thread_create_control()
 * (an rte_thread_t running uint32_t (*)(void *)); 24.11 no longer has the
 * former. Both name the thread and bind it to EAL's control-thread CPU
 * set. A thread function is written
 *	static mlx4r_thread_ret_t fn(void *arg) { ...; return MLX4R_THREAD_RET; }
 * and its id is used only through the calls below.
 */
#ifdef MLX4R_HAVE_RTE_THREAD_CREATE_CONTROL
typedef rte_thread_t mlx4r_thread_t;
typedef uint32_t mlx4r_thread_ret_t;
#define MLX4R_THREAD_RET 0
#else
typedef pthread_t mlx4r_thread_t;
typedef void *mlx4r_thread_ret_t;
#define MLX4R_THREAD_RET NULL
#endif
typedef mlx4r_thread_ret_t (*mlx4r_thread_fn_t)(void *arg);

/**
 * Start a control thread named @p name (at most 15 characters).
 * @return 0, or a negative errno (both DPDK versions' codes normalised:
 *   rte_ctrl_thread_create() returns -errno, rte_thread_create_control()
 *   a positive errno, lib/eal/common/eal_common_thread.c of each).
 */
static inline int
mlx4r_thread_create_control(mlx4r_thread_t *t, const char *name,
			    mlx4r_thread_fn_t fn, void *arg)
{
	int ret;

#ifdef MLX4R_HAVE_RTE_THREAD_CREATE_CONTROL
	ret = rte_thread_create_control(t, name, fn, arg);
	return ret > 0 ? -ret : ret;
#else
	ret = rte_ctrl_thread_create(t, name, NULL, fn, arg);
	return ret > 0 ? -ret : ret;
#endif
}

/** Wait for @p t to end (its return value is dropped). @return 0 or -errno. */
static inline int
mlx4r_thread_join(mlx4r_thread_t t)
{
	int ret;

#ifdef MLX4R_HAVE_RTE_THREAD_CREATE_CONTROL
	ret = rte_thread_join(t, NULL);
#else
	ret = pthread_join(t, NULL);
#endif
	return ret > 0 ? -ret : ret;
}

/** Let @p t's resources go at its end: nobody joins it. */
static inline void
mlx4r_thread_detach(mlx4r_thread_t t)
{
#ifdef MLX4R_HAVE_RTE_THREAD_CREATE_CONTROL
	rte_thread_detach(t);
#else
	pthread_detach(t);
#endif
}

/** Whether the calling thread is @p t. */
static inline bool
mlx4r_thread_is_self(mlx4r_thread_t t)
{
#ifdef MLX4R_HAVE_RTE_THREAD_CREATE_CONTROL
	return rte_thread_equal(t, rte_thread_self()) != 0;
#else
	return pthread_equal(t, pthread_self()) != 0;
#endif
}

/*
 * Telemetry: DPDK 23.03 added rte_tel_data_add_dict_uint() and deprecated
 * rte_tel_data_add_dict_u64() (same arguments, same output).
 */
static inline int
mlx4r_tel_dict_add_uint(struct rte_tel_data *d, const char *name, uint64_t v)
{
#ifdef MLX4R_HAVE_RTE_TEL_DATA_ADD_DICT_UINT
	return rte_tel_data_add_dict_uint(d, name, v);
#else
	return rte_tel_data_add_dict_u64(d, name, v);
#endif
}

/*
 * eth_dev_ops.dev_supported_ptypes_get: DPDK 24.03 added the out-parameter
 * no_of_elements, and ethdev then reads that many entries instead of
 * looking for the RTE_PTYPE_UNKNOWN end mark (rte_eth_dev_get_supported_ptypes()
 * in lib/ethdev/rte_ethdev.c of each). MLX4R_PTYPES_GET_OP(op, impl)
 * defines the op @p op from
 *	static const uint32_t *impl(struct rte_eth_dev *dev, size_t *n);
 * which returns an array ending with RTE_PTYPE_UNKNOWN and sets *n to the
 * number of entries before that end mark.
 */
#ifdef MLX4R_HAVE_PTYPES_GET_COUNT
#define MLX4R_PTYPES_GET_OP(op, impl) \
static const uint32_t * \
op(struct rte_eth_dev *dev, size_t *no_of_elements) \
{ \
	return impl(dev, no_of_elements); \
}
#else
#define MLX4R_PTYPES_GET_OP(op, impl) \
static const uint32_t * \
op(struct rte_eth_dev *dev) \
{ \
	size_t n; \
	\
	return impl(dev, &n); \
}
#endif

#endif /* MLX4R_COMPAT_H */
