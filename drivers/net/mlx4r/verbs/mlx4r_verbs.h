/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_VERBS_H
#define MLX4R_VERBS_H

/*
 * Internals of the rdma-core backend that need no device: verbs attribute
 * construction, error and event mapping. They make no verbs call, so the
 * unit tests link them directly and check them without a ConnectX-3.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <infiniband/verbs.h>

#include "mlx4r_hw.h"

/** Size of a Toeplitz key on ConnectX-3. */
#define MLX4R_VERBS_RSS_KEY_LEN 40

/** Hash fields a ConnectX-3 RSS QP accepts. */
#define MLX4R_VERBS_RSS_FIELDS \
	(IBV_RX_HASH_SRC_IPV4 | IBV_RX_HASH_DST_IPV4 | \
	 IBV_RX_HASH_SRC_IPV6 | IBV_RX_HASH_DST_IPV6 | \
	 IBV_RX_HASH_SRC_PORT_TCP | IBV_RX_HASH_DST_PORT_TCP | \
	 IBV_RX_HASH_SRC_PORT_UDP | IBV_RX_HASH_DST_PORT_UDP)

/**
 * Map an rdma-core error to the seam's convention (-errno).
 * @param err errno after a failed constructor, or the positive (or
 *   negative) value a modify/destroy returned.
 * @param fallback errno to report when err is 0 (a constructor that
 *   returned NULL without setting errno).
 * @return -err, or -fallback; 0 if both are 0.
 */
int mlx4r_verbs_errno(int err, int fallback);

/**
 * Fill the attributes of a raw-packet Tx QP: send queue only (the receive
 * side of mlx4r is WQs behind an RSS QP), completions only on request,
 * @p qp_context returned in async events.
 */
void mlx4r_verbs_tx_qp_init_attr(struct ibv_qp_init_attr *init,
				 void *qp_context, struct ibv_cq *cq,
				 const struct ibv_qp_cap *cap);

/**
 * Fill the attributes of a receive hash QP over @p ind.
 * @return 0; -EINVAL (not Toeplitz, key not 40 bytes, no key);
 *   -EOPNOTSUPP (a hash field ConnectX-3 cannot hash on).
 */
int mlx4r_verbs_rss_qp_init_attr(struct ibv_qp_init_attr_ex *init,
				 struct ibv_pd *pd,
				 struct ibv_rwq_ind_table *ind,
				 const struct ibv_rx_hash_conf *conf);

/**
 * Translate an rdma-core async event into the seam's: the element is the
 * seam handle stored as the ibv object's context (cq_context,
 * qp_context, wq_context) at creation.
 */
void mlx4r_verbs_event_from_ibv(const struct ibv_async_event *e,
				struct mlx4r_hw_async_event *ev);

/**
 * Whether the mlx4 kernel driver takes an indirection table of @p n
 * entries (a power of two): WQs with consecutive numbers, in order, the
 * first aligned to @p n (Linux mlx4_ib qp.c mlx4_ib_create_rwq_ind_table).
 * The driver decides the table (mlx4r_flow.c); this only names what is
 * wrong before the kernel answers a bare -EINVAL.
 * @return 0, or the index of the first entry that breaks the rule + 1.
 */
uint32_t mlx4r_verbs_ind_check(struct mlx4r_hw_wq *const *wqs, uint32_t n);

/**
 * Parse a MAC address as sysfs prints it ("aa:bb:cc:dd:ee:ff\n").
 * @return 0 or -EINVAL.
 */
int mlx4r_verbs_parse_mac(const char *text, uint8_t mac[6]);

/**
 * The name of a port's Ethernet netdev (mlx4_en's interface): the entry of
 * <ibdev_path>/device/net whose dev_port is @p port - 1, or, on kernels
 * without dev_port (< 3.15) or where every entry says the same, whose
 * dev_id (hexadecimal) is, as upstream net_mlx4's mlx4_get_ifname finds
 * it. Reads sysfs only.
 * @param[out] ifname
 *   IF_NAMESIZE bytes.
 * @return 0, -ENODEV (no such netdev), or the errno of opendir().
 */
int mlx4r_verbs_port_ifname(const char *ibdev_path, uint8_t port,
			    char *ifname, size_t len);

/*
 * The devices this backend drives: ConnectX-3 functions, as mlx4_ib reports
 * them in ibv_device_attr. vendor_id is Mellanox's IEEE OUI (0x0002c9, from
 * the NodeInfo MAD of mlx4_ib_query_device(); mlx5 devices report the same
 * OUI), vendor_part_id the PCI device id. The parts are the MT27500 family
 * of mlx4_core's PCI table (Linux drivers/net/ethernet/mellanox/mlx4/main.c
 * mlx4_pci_table: 0x1003 ConnectX-3, 0x1004 its VF, 0x1007 ConnectX-3 Pro,
 * 0x1005-0x1010 the other MT275xx); the older ConnectX/ConnectX-2 parts of
 * that table (CONFIG_MLX4_CORE_GEN2) and every mlx5 part (0x1011 on) are
 * not ConnectX-3.
 */
#define MLX4R_VERBS_VENDOR_ID 0x02c9
#define MLX4R_VERBS_PART_FIRST 0x1003
#define MLX4R_VERBS_PART_LAST 0x1010

/**
 * Is (vendor, part) of ibv_device_attr a ConnectX-3 function?
 * mlx4dv_query_device() cannot tell: libmlx4's takes any provider's
 * context and reads it as its own (rdma-core providers/mlx4/mlx4.c,
 * to_mctx()), so an ibdev=mlx5_0 would be accepted and misread.
 * @return 0, or -ENODEV.
 */
int mlx4r_verbs_check_part(uint32_t vendor_id, uint32_t vendor_part_id);

/*
 * Objects of a context, tracked so that close_device can destroy what the
 * caller left, in dependency order (the order of the kinds).
 */
enum mlx4r_verbs_obj_kind {
	MLX4R_VERBS_FLOW,
	MLX4R_VERBS_QP,
	MLX4R_VERBS_IND,
	MLX4R_VERBS_WQ,
	MLX4R_VERBS_CQ,
	MLX4R_VERBS_CH,
	MLX4R_VERBS_MR,
	MLX4R_VERBS_PD,
	MLX4R_VERBS_KINDS,
};

/** One tracked object. */
struct mlx4r_verbs_obj {
	LIST_ENTRY(mlx4r_verbs_obj) next; /**< in its context's list */
	enum mlx4r_verbs_obj_kind kind;   /**< which list, how to destroy */
	void *ibv;                        /**< the rdma-core object */
	void *mem;                        /**< the wrapper to free */
};

LIST_HEAD(mlx4r_verbs_obj_list, mlx4r_verbs_obj);

/** What an ibv_destroy_*() result means for the object. */
enum mlx4r_verbs_destroyed {
	MLX4R_VERBS_DESTROYED, /**< gone, libmlx4 freed it */
	/**
	 * EIO: the kernel refused the command because the device was
	 * disassociated (ib_uverbs_write() after uverbs_disassociate_api(),
	 * Linux drivers/infiniband/core/uverbs_main.c), having destroyed
	 * every object of the context itself (ib_uverbs_free_hw_resources()
	 * -> uverbs_destroy_ufile_hw(RDMA_REMOVE_DRIVER_REMOVE)). libibverbs
	 * turns this EIO into success only when RDMAV_ALLOW_DISASSOC_DESTROY
	 * or MLX4_DEVICE_FATAL_CLEANUP was set when it initialised
	 * (libibverbs/init.c ibverbs_init(), read once, at the first
	 * ibv_get_device_list() of the process); otherwise the object is
	 * gone in the kernel but libmlx4 kept its memory: forget it, count
	 * the leak.
	 */
	MLX4R_VERBS_GONE,
	MLX4R_VERBS_FAILED,    /**< still there (EBUSY, ...) */
};

/** Classify the return value (0 or an errno) of an ibv_destroy_*(). */
enum mlx4r_verbs_destroyed mlx4r_verbs_destroy_result(int ret);

/**
 * Destroy every object of @p lists (MLX4R_VERBS_KINDS lists), kind by
 * kind, each object once: one that @p destroy cannot destroy is given up
 * (taken off its list, its wrapper freed; closing the command fd releases
 * whatever the kernel still holds) rather than tried again for ever.
 * @param destroy
 *   Destroys one object: 0 (it left its list), or -errno (it did not).
 * @return
 *   The number of objects given up.
 */
unsigned int mlx4r_verbs_destroy_all(struct mlx4r_verbs_obj_list *lists,
				     int (*destroy)(struct mlx4r_verbs_obj *));

/**
 * The ring allocator a context gives libmlx4 (mlx4dv_set_context_attr(
 * MLX4DV_SET_CTX_ATTR_BUF_ALLOCATORS), as upstream net_mlx4's mlx4.c
 * mlx4_alloc_verbs_buf()): libmlx4 allocates every SQ/RQ/CQ buffer and
 * doorbell page through it (providers/mlx4/buf.c mlx4_alloc_buf()).
 */
struct mlx4r_verbs_alloc {
	const int *socket;    /**< the context's buf_socket (mlx4r_hw.h) */
	int dev_socket;       /**< the device's NUMA node, or SOCKET_ID_ANY */
	uint64_t allocs;      /**< buffers given (control thread) */
	uint64_t frees;       /**< buffers taken back */
};

/**
 * Zeroed, page-aligned DPDK memory on *socket, or on dev_socket when that
 * is SOCKET_ID_ANY. @return NULL when there is none there (libmlx4 fails
 * the create with ENOMEM) or for size 0.
 */
void *mlx4r_verbs_buf_alloc(size_t size, void *data);
/** Free what mlx4r_verbs_buf_alloc() gave (NULL is fine). */
void mlx4r_verbs_buf_free(void *ptr, void *data);

/** Log on pmd.net.mlx4r.verbs (adds the newline). */
void mlx4r_verbs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** The same at @p level (RTE_LOG_*). */
void mlx4r_verbs_log_level(uint32_t level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** The backend, exported by librte_net_mlx4r_verbs.so. */
extern const struct mlx4r_hw_ops mlx4r_hw_verbs_ops;

#endif /* MLX4R_VERBS_H */
