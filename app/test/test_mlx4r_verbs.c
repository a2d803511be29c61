/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The rdma-core backend without a ConnectX-3: verbs attribute
 * construction, error and event mapping, the layout the datapath assumes
 * of mlx4dv.h's structures, and what happens when the machine has no RDMA
 * device (a clear error, nothing leaked). Nothing here has run on a card.
 */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <infiniband/mlx4dv.h>
#include <infiniband/verbs.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <rte_memory.h>

#include "mlx4r_hw.h"
#include "test.h"
#include "test_common.h"
#include "verbs/mlx4r_verbs.h"

const struct mlx4r_hw_ops *mlx4r_hw_verbs_backend(char *err, size_t len);

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

static int
test_errno_mapping(void)
{
	TEST_ASSERT_EQUAL(mlx4r_verbs_errno(ENOMEM, EINVAL), -ENOMEM,
			  "errno wins over the fallback");
	TEST_ASSERT_EQUAL(mlx4r_verbs_errno(-EIO, 0), -EIO,
			  "negative values are taken as they are");
	TEST_ASSERT_EQUAL(mlx4r_verbs_errno(0, EINVAL), -EINVAL,
			  "NULL without errno: the fallback");
	TEST_ASSERT_EQUAL(mlx4r_verbs_errno(0, 0), 0, "no error");
	TEST_ASSERT_EQUAL(mlx4r_verbs_errno(EAGAIN, 0), -EAGAIN,
			  "EAGAIN of a non-blocking async fd");
	return TEST_SUCCESS;
}

static int
test_tx_qp_attr(void)
{
	struct ibv_qp_cap cap = { .max_send_wr = 1024 };
	struct ibv_qp_init_attr init;
	struct ibv_cq *cq = (struct ibv_cq *)(uintptr_t)0x1000;
	int handle;

	memset(&init, 0xa5, sizeof(init));
	mlx4r_verbs_tx_qp_init_attr(&init, &handle, cq, &cap);
	TEST_ASSERT_EQUAL(init.qp_type, IBV_QPT_RAW_PACKET, "raw packet QP");
	TEST_ASSERT(init.send_cq == cq && init.recv_cq == cq, "CQs");
	TEST_ASSERT(init.qp_context == &handle, "context for async events");
	TEST_ASSERT_EQUAL(init.sq_sig_all, 0, "selective signalling");
	TEST_ASSERT_EQUAL(init.cap.max_send_wr, 1024, "send WRs");
	TEST_ASSERT_EQUAL(init.cap.max_send_sge, 1, "at least one SGE");
	TEST_ASSERT_EQUAL(init.cap.max_recv_wr, 0, "no receive queue");
	TEST_ASSERT(init.srq == NULL, "no SRQ (garbage cleared)");
	return TEST_SUCCESS;
}

static int
test_rss_qp_attr(void)
{
	uint8_t key[MLX4R_VERBS_RSS_KEY_LEN] = { 1 };
	struct ibv_rx_hash_conf conf = {
		.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ,
		.rx_hash_key_len = sizeof(key),
		.rx_hash_key = key,
		.rx_hash_fields_mask = IBV_RX_HASH_SRC_IPV4 |
			IBV_RX_HASH_DST_IPV4 | IBV_RX_HASH_SRC_PORT_TCP |
			IBV_RX_HASH_DST_PORT_TCP,
	};
	struct ibv_pd *pd = (struct ibv_pd *)(uintptr_t)0x2000;
	struct ibv_rwq_ind_table *ind =
		(struct ibv_rwq_ind_table *)(uintptr_t)0x3000;
	struct ibv_qp_init_attr_ex init;

	TEST_ASSERT_SUCCESS(mlx4r_verbs_rss_qp_init_attr(&init, pd, ind, &conf),
			    "valid RSS attributes");
	TEST_ASSERT_EQUAL(init.qp_type, IBV_QPT_RAW_PACKET, "raw packet");
	TEST_ASSERT_EQUAL(init.comp_mask, IBV_QP_INIT_ATTR_PD |
			  IBV_QP_INIT_ATTR_RX_HASH | IBV_QP_INIT_ATTR_IND_TABLE,
			  "comp_mask");
	TEST_ASSERT(init.pd == pd && init.rwq_ind_tbl == ind, "objects");
	TEST_ASSERT(init.rx_hash_conf.rx_hash_key == key, "key");
	TEST_ASSERT_EQUAL_U(init.rx_hash_conf.rx_hash_fields_mask,
			    conf.rx_hash_fields_mask, "fields");
	conf.rx_hash_key_len = 32;
	TEST_ASSERT_EQUAL(mlx4r_verbs_rss_qp_init_attr(&init, pd, ind, &conf),
			  -EINVAL, "a 32-byte key");
	conf.rx_hash_key_len = sizeof(key);
	conf.rx_hash_key = NULL;
	TEST_ASSERT_EQUAL(mlx4r_verbs_rss_qp_init_attr(&init, pd, ind, &conf),
			  -EINVAL, "no key");
	conf.rx_hash_key = key;
	conf.rx_hash_function = 2;
	TEST_ASSERT_EQUAL(mlx4r_verbs_rss_qp_init_attr(&init, pd, ind, &conf),
			  -EINVAL, "not Toeplitz");
	conf.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ;
	conf.rx_hash_fields_mask |= IBV_RX_HASH_INNER;
	TEST_ASSERT_EQUAL(mlx4r_verbs_rss_qp_init_attr(&init, pd, ind, &conf),
			  -EOPNOTSUPP, "inner (tunnel) hashing");
	return TEST_SUCCESS;
}

static int
test_event_mapping(void)
{
	struct mlx4r_hw_cq seam_cq;
	struct mlx4r_hw_qp seam_qp;
	struct mlx4r_hw_wq seam_wq;
	struct ibv_cq cq = { .cq_context = &seam_cq };
	struct ibv_qp qp = { .qp_context = &seam_qp };
	struct ibv_wq wq = { .wq_context = &seam_wq };
	struct mlx4r_hw_async_event ev;
	struct ibv_async_event e;

	e.event_type = IBV_EVENT_CQ_ERR;
	e.element.cq = &cq;
	mlx4r_verbs_event_from_ibv(&e, &ev);
	TEST_ASSERT_EQUAL(ev.event_type, IBV_EVENT_CQ_ERR, "type");
	TEST_ASSERT(ev.element.cq == &seam_cq, "CQ handle");
	e.event_type = IBV_EVENT_QP_FATAL;
	e.element.qp = &qp;
	mlx4r_verbs_event_from_ibv(&e, &ev);
	TEST_ASSERT(ev.element.qp == &seam_qp, "QP handle");
	e.event_type = IBV_EVENT_WQ_FATAL;
	e.element.wq = &wq;
	mlx4r_verbs_event_from_ibv(&e, &ev);
	TEST_ASSERT(ev.element.wq == &seam_wq, "WQ handle");
	e.event_type = IBV_EVENT_PORT_ERR;
	e.element.port_num = 2;
	mlx4r_verbs_event_from_ibv(&e, &ev);
	TEST_ASSERT_EQUAL(ev.element.port_num, 2, "port number");
	e.event_type = IBV_EVENT_DEVICE_FATAL;
	mlx4r_verbs_event_from_ibv(&e, &ev);
	TEST_ASSERT_EQUAL(ev.event_type, IBV_EVENT_DEVICE_FATAL, "fatal");
	return TEST_SUCCESS;
}

static int
test_parse_mac(void)
{
	uint8_t mac[6];
	const uint8_t want[6] = { 0x00, 0x02, 0xc9, 0xab, 0x01, 0xff };

	TEST_ASSERT_SUCCESS(mlx4r_verbs_parse_mac("00:02:c9:ab:01:ff\n", mac),
			    "sysfs address");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(mac, want, 6, "bytes");
	TEST_ASSERT_EQUAL(mlx4r_verbs_parse_mac("00:02:c9:ab:01\n", mac),
			  -EINVAL, "five bytes");
	TEST_ASSERT_EQUAL(mlx4r_verbs_parse_mac("00:02:c9:ab:01:ffx", mac),
			  -EINVAL, "trailing junk");
	TEST_ASSERT_EQUAL(mlx4r_verbs_parse_mac("", mac), -EINVAL, "empty");
	return TEST_SUCCESS;
}

/*
 * What the datapath takes for granted about rdma-core's mlx4dv.h: if
 * a future rdma-core changed any of it, the datapath would write garbage
 * to a real card. (The emulated device reads the same structures, so it
 * would not notice.)
 */
static int
test_view_layout(void)
{
	TEST_ASSERT_EQUAL(sizeof(struct mlx4_wqe_ctrl_seg), 16, "ctrl seg");
	TEST_ASSERT_EQUAL(offsetof(struct mlx4_wqe_ctrl_seg, owner_opcode), 0,
			  "owner_opcode first");
	TEST_ASSERT_EQUAL(offsetof(struct mlx4_wqe_ctrl_seg, fence_size), 7,
			  "fence_size");
	TEST_ASSERT_EQUAL(offsetof(struct mlx4_wqe_ctrl_seg, srcrb_flags), 8,
			  "srcrb_flags");
	TEST_ASSERT_EQUAL(sizeof(struct mlx4_wqe_data_seg), 16, "data seg");
	TEST_ASSERT_EQUAL(offsetof(struct mlx4_wqe_data_seg, byte_count), 0,
			  "byte_count");
	TEST_ASSERT_EQUAL(offsetof(struct mlx4_wqe_data_seg, lkey), 4, "lkey");
	TEST_ASSERT_EQUAL(offsetof(struct mlx4_wqe_data_seg, addr), 8, "addr");
	TEST_ASSERT_EQUAL(sizeof(struct mlx4_cqe), 32, "CQE");
	TEST_ASSERT_EQUAL(offsetof(struct mlx4_cqe, owner_sr_opcode), 31,
			  "owner byte last");
	TEST_ASSERT_EQUAL(offsetof(struct mlx4_cqe, byte_cnt), 20, "byte_cnt");
	TEST_ASSERT_EQUAL(offsetof(struct mlx4_cqe, wqe_index), 24,
			  "wqe_index");
	TEST_ASSERT_EQUAL(MLX4_CQE_OWNER_MASK, 0x80, "owner mask");
	TEST_ASSERT_EQUAL(MLX4_CQE_IS_SEND_MASK, 0x40, "is-send mask");
	TEST_ASSERT_EQUAL(MLX4_CQE_OPCODE_MASK, 0x1f, "opcode mask");
	TEST_ASSERT_EQUAL(MLX4_CQE_OPCODE_ERROR, 0x1e, "error opcode");
	TEST_ASSERT_EQUAL(MLX4_SEND_DOORBELL, 0x14, "send doorbell offset");
	TEST_ASSERT_EQUAL(MLX4_OPCODE_SEND, 0x0a, "send opcode");
	TEST_ASSERT_EQUAL(MLX4_WQE_CTRL_CQ_UPDATE, 3 << 2, "completion bits");
	TEST_ASSERT_EQUAL(MLX4_INVALID_LKEY, 0x100, "invalid lkey");
	return TEST_SUCCESS;
}

/* No RDMA device here: a clear -ENODEV, and nothing leaked. */
static int
test_no_device(void)
{
	const struct mlx4r_hw_ops *ops;
	struct mlx4r_hw_ctx *ctx = NULL;
	char err[256] = "";
	int ret;

	ops = mlx4r_hw_verbs_backend(err, sizeof(err));
	TEST_ASSERT_NOT_NULL(ops, "load the backend: %s", err);
	TEST_ASSERT_STR_EQUAL(ops->name, "verbs", "backend name");
	ret = ops->open_device("mlx4_0", &ctx);
	if (ret == 0) {
		ops->close_device(ctx);
		TEST_SKIP("this machine has an mlx4_0 device");
	}
	TEST_ASSERT_EQUAL(ret, -ENODEV, "no device");
	TEST_ASSERT_NULL(ctx, "no context returned");
	TEST_ASSERT_EQUAL(ops->open_device("no_such_device", &ctx), -ENODEV,
			  "unknown name");
	return TEST_SUCCESS;
}

/* ConnectX-3 RSS tables: consecutive WQ numbers from an aligned base. */
static int
test_ind_check(void)
{
	struct mlx4r_hw_wq w[4];
	struct mlx4r_hw_wq *t[4];
	unsigned int i;

	for (i = 0; i < RTE_DIM(w); i++) {
		w[i].wq_num = 0x40 + i;
		t[i] = &w[i];
	}
	TEST_ASSERT_EQUAL(mlx4r_verbs_ind_check(t, 4), 0, "aligned run");
	TEST_ASSERT_EQUAL(mlx4r_verbs_ind_check(t + 1, 1), 0, "one WQ");
	TEST_ASSERT_EQUAL(mlx4r_verbs_ind_check(t + 1, 2), 1,
			  "0x41 is not a multiple of 2");
	t[1] = &w[2];
	t[2] = &w[1];
	TEST_ASSERT_EQUAL(mlx4r_verbs_ind_check(t, 4), 2,
			  "out of order: entry 1");
	t[1] = &w[0];
	TEST_ASSERT_EQUAL(mlx4r_verbs_ind_check(t, 2), 2,
			  "a repeated WQ: entry 1");
	return TEST_SUCCESS;
}

/* Write @p text to <dir>/device/net/<ifname>/<attr>. */
static int
fake_sysfs(const char *dir, const char *ifname, const char *attr,
	   const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/device", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/device/net", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/device/net/%s", dir, ifname);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/device/net/%s/%s", dir, ifname, attr);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(text, f);
	fclose(f);
	return 0;
}

/*
 * Only ConnectX-3 parts, by what ibv_query_device() says: libmlx4's
 * mlx4dv_query_device() would take an mlx5 context as its own.
 */
static int
test_check_part(void)
{
	TEST_ASSERT_SUCCESS(mlx4r_verbs_check_part(0x02c9, 4099),
			    "ConnectX-3");
	TEST_ASSERT_SUCCESS(mlx4r_verbs_check_part(0x02c9, 4100),
			    "ConnectX-3 VF");
	TEST_ASSERT_SUCCESS(mlx4r_verbs_check_part(0x02c9, 4103),
			    "ConnectX-3 Pro");
	TEST_ASSERT_SUCCESS(mlx4r_verbs_check_part(0x02c9, 0x1010),
			    "MT27561, the last of the family");
	TEST_ASSERT_EQUAL(mlx4r_verbs_check_part(0x02c9, 4115), -ENODEV,
			  "ConnectX-4 (mlx5_0) reports the same vendor OUI");
	TEST_ASSERT_EQUAL(mlx4r_verbs_check_part(0x02c9, 4098), -ENODEV,
			  "ConnectX-2 VF");
	TEST_ASSERT_EQUAL(mlx4r_verbs_check_part(0x02c9, 0x6750), -ENODEV,
			  "ConnectX EN (Hermon)");
	TEST_ASSERT_EQUAL(mlx4r_verbs_check_part(0x15b3, 4099), -ENODEV,
			  "the PCI vendor id is not the IB vendor id");
	TEST_ASSERT_EQUAL(mlx4r_verbs_check_part(0x8086, 4099), -ENODEV,
			  "another vendor");
	return TEST_SUCCESS;
}

/* What a destroy's result means: EIO after disassociation is "gone". */
static int
test_destroy_result(void)
{
	TEST_ASSERT_EQUAL(mlx4r_verbs_destroy_result(0), MLX4R_VERBS_DESTROYED,
			  "success");
	TEST_ASSERT_EQUAL(mlx4r_verbs_destroy_result(EIO), MLX4R_VERBS_GONE,
			  "EIO: destroyed by the kernel's disassociation");
	TEST_ASSERT_EQUAL(mlx4r_verbs_destroy_result(-EIO), MLX4R_VERBS_GONE,
			  "as a negative value");
	TEST_ASSERT_EQUAL(mlx4r_verbs_destroy_result(EBUSY),
			  MLX4R_VERBS_FAILED, "in use: still there");
	TEST_ASSERT_EQUAL(mlx4r_verbs_destroy_result(EINVAL),
			  MLX4R_VERBS_FAILED, "other errors");
	return TEST_SUCCESS;
}

/* Fake objects for mlx4r_verbs_destroy_all(). */
struct fake_obj {
	struct mlx4r_verbs_obj obj;
	int fail;          /* errno its destroy returns, 0: succeeds */
	unsigned int *log; /* destroy order */
	unsigned int *nlog;
	unsigned int id;
};

static unsigned int fake_destroys;

static int
fake_destroy(struct mlx4r_verbs_obj *o)
{
	struct fake_obj *f = container_of(o, struct fake_obj, obj);

	fake_destroys++;
	/*
	 * A loop that retries a failing destroy would call this for ever:
	 * give in after a while, so that the test ends (and fails on the
	 * count of calls) instead of hanging.
	 */
	if (fake_destroys > 32)
		f->fail = 0;
	else
		f->log[(*f->nlog)++] = f->id;
	if (f->fail != 0)
		return -f->fail;
	LIST_REMOVE(o, next);
	free(o->mem);
	return 0;
}

/*
 * The mlx4_en interface of a port, found in sysfs as upstream's
 * mlx4_get_ifname finds it: dev_port = port - 1, or dev_id where dev_port
 * is missing (Linux < 3.15) or the same for every port (MOFED < 3.0).
 */
static int
test_port_ifname(void)
{
	char dir[] = "/tmp/mlx4r_sysfs_XXXXXX", name[IF_NAMESIZE], cmd[600];
	int ret = TEST_FAILED;

	TEST_ASSERT_NOT_NULL(mkdtemp(dir), "temporary directory");
	if (mlx4r_verbs_port_ifname(dir, 1, name, sizeof(name)) != -ENOENT) {
		printf("no device/net: -ENOENT expected\n");
		goto out;
	}
	fake_sysfs(dir, "ens1", "dev_port", "0\n");
	fake_sysfs(dir, "ens1d1", "dev_port", "1\n");
	fake_sysfs(dir, "ens1", "dev_id", "0x0\n");
	fake_sysfs(dir, "ens1d1", "dev_id", "0x1\n");
	if (mlx4r_verbs_port_ifname(dir, 1, name, sizeof(name)) != 0 ||
	    strcmp(name, "ens1") != 0 ||
	    mlx4r_verbs_port_ifname(dir, 2, name, sizeof(name)) != 0 ||
	    strcmp(name, "ens1d1") != 0) {
		printf("dev_port: port 1 ens1, port 2 ens1d1 expected\n");
		goto out;
	}
	/* an old MOFED: dev_port 0 everywhere, dev_id tells */
	fake_sysfs(dir, "ens1d1", "dev_port", "0\n");
	if (mlx4r_verbs_port_ifname(dir, 2, name, sizeof(name)) != 0 ||
	    strcmp(name, "ens1d1") != 0) {
		printf("dev_id: port 2 ens1d1 expected\n");
		goto out;
	}
	if (mlx4r_verbs_port_ifname(dir, 3, name, sizeof(name)) != -ENODEV) {
		printf("port 3: -ENODEV expected\n");
		goto out;
	}
	ret = TEST_SUCCESS;
out:
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("could not remove %s\n", dir);
	return ret;

}

/*
 * close_device destroys what is left in dependency order and gives up on
 * an object whose destroy fails instead of trying it again for ever.
 */
static int
test_destroy_all(void)
{
	struct mlx4r_verbs_obj_list lists[MLX4R_VERBS_KINDS];
	static const struct {
		enum mlx4r_verbs_obj_kind kind;
		int fail;
	} objs[] = {
		{ MLX4R_VERBS_PD, 0 },
		{ MLX4R_VERBS_QP, EBUSY },
		{ MLX4R_VERBS_CQ, 0 },
		{ MLX4R_VERBS_FLOW, 0 },
		{ MLX4R_VERBS_MR, EINVAL },
		{ MLX4R_VERBS_QP, 0 },
	};
	unsigned int log[64], nlog = 0, i, k;

	for (k = 0; k < MLX4R_VERBS_KINDS; k++)
		LIST_INIT(&lists[k]);
	for (i = 0; i < RTE_DIM(objs); i++) {
		struct fake_obj *f = calloc(1, sizeof(*f));

		TEST_ASSERT_NOT_NULL(f, "calloc");
		f->obj.kind = objs[i].kind;
		f->obj.mem = f;
		f->fail = objs[i].fail;
		f->log = log;
		f->nlog = &nlog;
		f->id = i;
		LIST_INSERT_HEAD(&lists[objs[i].kind], &f->obj, next);
	}
	fake_destroys = 0;
	TEST_ASSERT_EQUAL(mlx4r_verbs_destroy_all(lists, fake_destroy), 2,
			  "two objects given up");
	TEST_ASSERT_EQUAL(fake_destroys, RTE_DIM(objs),
			  "every object tried exactly once");
	for (k = 0; k < MLX4R_VERBS_KINDS; k++)
		TEST_ASSERT(LIST_EMPTY(&lists[k]), "list %u emptied", k);
	/* dependency order: flows, QPs, ..., CQs, MRs, PDs last */
	TEST_ASSERT_EQUAL(log[0], 3, "the flow first");
	TEST_ASSERT(objs[log[1]].kind == MLX4R_VERBS_QP &&
		    objs[log[2]].kind == MLX4R_VERBS_QP, "then the QPs");
	TEST_ASSERT_EQUAL(log[3], 2, "then the CQ");
	TEST_ASSERT_EQUAL(log[4], 4, "then the MR");
	TEST_ASSERT_EQUAL(log[5], 0, "the PD last");
	return TEST_SUCCESS;
}

/* The driver on backend=verbs without a card: a clear failure, no leak. */
/*
 * The ring allocator libmlx4 gets (MLX4DV_SET_CTX_ATTR_BUF_ALLOCATORS):
 * zeroed, page-aligned DPDK memory on the node the driver named for the
 * queue, the device's node otherwise.
 */
static int
test_ring_allocator(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	int buf_socket = SOCKET_ID_ANY;
	struct mlx4r_verbs_alloc a = {
		.socket = &buf_socket,
		.dev_socket = rte_socket_id_by_idx(0),
	};
	const struct rte_memseg *ms;
	uint64_t heap = test_heap_allocated();
	uint8_t *p, *q;
	size_t i;

	p = mlx4r_verbs_buf_alloc(5000, &a);
	TEST_ASSERT_NOT_NULL(p, "a ring on the device's node");
	TEST_ASSERT_EQUAL((uintptr_t)p % pg, 0, "page-aligned");
	for (i = 0; i < 5000; i++)
		TEST_ASSERT_EQUAL(p[i], 0, "zeroed (byte %zu)", i);
	ms = rte_mem_virt2memseg(p, NULL);
	TEST_ASSERT_NOT_NULL(ms, "DPDK memory");
	TEST_ASSERT_EQUAL(ms->socket_id, a.dev_socket, "the device's node");
	TEST_ASSERT_GE_U(test_heap_allocated(), heap + 5000, "from the heap");
	buf_socket = a.dev_socket;
	q = mlx4r_verbs_buf_alloc(100, &a);
	TEST_ASSERT_NOT_NULL(q, "on the queue's node");
	TEST_ASSERT_EQUAL(rte_mem_virt2memseg(q, NULL)->socket_id, buf_socket,
			  "the queue's node");
	TEST_ASSERT_EQUAL_U(a.allocs, 2, "two given");
	TEST_ASSERT_NULL(mlx4r_verbs_buf_alloc(0, &a), "nothing for 0 bytes");
	TEST_ASSERT_EQUAL_U(a.allocs, 2, "failures not counted");
	mlx4r_verbs_buf_free(q, &a);
	mlx4r_verbs_buf_free(p, &a);
	mlx4r_verbs_buf_free(NULL, &a);
	TEST_ASSERT_EQUAL_U(a.frees, 2, "two taken back");
	TEST_ASSERT_EQUAL_U(test_heap_allocated(), heap, "heap as before");
	return TEST_SUCCESS;
}

static int
test_probe_no_device(void)
{
	static const char * const refused[] = {
		"backend=verbs,ibdev=mlx4_0",
		"backend=verbs",
		"backend=verbs,wire=gen",
		"ibdev=mlx4_0",
		"backend=verbs,ibdev=",
	};
	uint64_t heap = test_heap_allocated();
	unsigned int zones = test_memzone_count();
	uint16_t ports = rte_eth_dev_count_avail();
	unsigned int i;

	for (i = 0; i < RTE_DIM(refused); i++) {
		int ret = rte_vdev_init("net_mlx4r_v0", refused[i]);

		TEST_ASSERT(ret < 0, "\"%s\" probed (%d)", refused[i], ret);
		TEST_ASSERT_EQUAL(rte_eth_dev_count_avail(), ports,
				  "\"%s\" left a port", refused[i]);
		TEST_ASSERT_EQUAL_U(test_heap_allocated(), heap,
				    "\"%s\" left memory", refused[i]);
		TEST_ASSERT_EQUAL(test_memzone_count(), zones,
				  "\"%s\" left a memzone", refused[i]);
		rte_vdev_uninit("net_mlx4r_v0");
	}
	return TEST_SUCCESS;
}

static struct unit_test_suite verbs_suite = {
	.suite_name = "mlx4r rdma-core backend (no card)",
	.unit_test_cases = {
		TEST_CASE(test_errno_mapping),
		TEST_CASE(test_tx_qp_attr),
		TEST_CASE(test_rss_qp_attr),
		TEST_CASE(test_event_mapping),
		TEST_CASE(test_parse_mac),
		TEST_CASE(test_view_layout),
		TEST_CASE(test_no_device),
		TEST_CASE(test_ind_check),
		TEST_CASE(test_port_ifname),
		TEST_CASE(test_probe_no_device),
		TEST_CASE(test_ring_allocator),
		TEST_CASE(test_check_part),
		TEST_CASE(test_destroy_result),
		TEST_CASE(test_destroy_all),
		TEST_CASES_END()
	}
};

static int
mlx4r_verbs_autotest(void)
{
	return unit_test_suite_runner(&verbs_suite);
}

REGISTER_TEST_COMMAND(mlx4r_verbs_autotest, mlx4r_verbs_autotest);
