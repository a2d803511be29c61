/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Objects of the emulated ConnectX-3 through the hardware seam: context,
 * queries, PD/MR, CQ (owner bits), QP state machine, WQ, indirection
 * table, RSS QP, flows, numbers never reused, clean-up on close.
 */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "test.h"
#include "test_emu_util.h"

#define DEV "t_emu_obj"

static struct temu_env env;

static int
setup(void)
{
	int ret = temu_env_init(&env, DEV, NULL);

	if (ret != 0)
		printf("setup failed: %d\n", ret);
	return ret == 0 ? TEST_SUCCESS : TEST_FAILED;
}

static void
teardown(void)
{
	temu_env_fini(&env);
}

static int
test_open_query(void)
{
	struct ibv_device_attr da;
	struct ibv_port_attr pa;
	uint8_t mac[6];

	TEST_ASSERT_NOT_NULL(mlx4r_hw_backend("emu"), "emu backend");
	TEST_ASSERT_NULL(mlx4r_hw_backend("nope"), "unknown backend");
	TEST_ASSERT_STR_EQUAL(env.ctx->ops->name, "emu", "backend name");
	TEST_ASSERT_EQUAL(env.ctx->incarnation, 1, "first incarnation");
	TEST_ASSERT_EQUAL(env.ctx->nb_ports, 2, "ports");
	TEST_ASSERT_SUCCESS(mlx4r_hw_query_device(env.ctx, &da), "query");
	TEST_ASSERT_EQUAL(da.vendor_id, 0x02c9, "Mellanox");
	TEST_ASSERT_EQUAL(da.vendor_part_id, 4099, "ConnectX-3");
	TEST_ASSERT_EQUAL(da.phys_port_cnt, 2, "ports");
	TEST_ASSERT_SUCCESS(mlx4r_hw_query_port(env.ctx, 1, &pa), "port 1");
	TEST_ASSERT_EQUAL(pa.state, IBV_PORT_ACTIVE, "link up");
	TEST_ASSERT_EQUAL(pa.link_layer, IBV_LINK_LAYER_ETHERNET, "eth");
	TEST_ASSERT_EQUAL(mlx4r_hw_query_port(env.ctx, 3, &pa), -EINVAL,
			  "port 3");
	TEST_ASSERT_EQUAL(mlx4r_hw_query_port(env.ctx, 0, &pa), -EINVAL,
			  "port 0");
	TEST_ASSERT_SUCCESS(mlx4r_hw_port_mac(env.ctx, 2, mac), "mac");
	TEST_ASSERT_EQUAL(mac[0] | mac[1] << 8 | mac[2] << 16, 0xc90200,
			  "Mellanox OUI");
	TEST_ASSERT_EQUAL(mac[5], 2, "port in MAC");
	return TEST_SUCCESS;
}

static int
test_async_fd_idle(void)
{
	struct mlx4r_hw_async_event ev;
	struct pollfd pfd = { .fd = env.ctx->async_fd, .events = POLLIN };

	TEST_ASSERT_EQUAL(poll(&pfd, 1, 0), 0, "nothing pending");
	TEST_ASSERT_EQUAL(mlx4r_hw_get_async_event(env.ctx, &ev), -EAGAIN,
			  "no event");
	return TEST_SUCCESS;
}

static int
test_cq_owner_hw(void)
{
	static const uint8_t sizes[] = { 32, 64 };
	struct mlx4r_emu_dev_conf conf;
	struct temu_env e2;
	struct mlx4r_hw_cq *cq;
	struct mlx4dv_cq dv;
	unsigned int s, i;

	for (s = 0; s < RTE_DIM(sizes); s++) {
		memset(&conf, 0, sizeof(conf));
		conf.cqe_size = sizes[s];
		TEST_ASSERT_SUCCESS(temu_env_init(&e2, "t_emu_cq", &conf),
				    "env");
		TEST_ASSERT_EQUAL(mlx4r_hw_create_cq(e2.ctx, 0, &cq), -EINVAL,
				  "0 entries");
		TEST_ASSERT_SUCCESS(mlx4r_hw_create_cq(e2.ctx, 100, &cq), "cq");
		TEST_ASSERT_GE_U(cq->cqe, 100, "at least what was asked");
		TEST_ASSERT_SUCCESS(mlx4r_hw_cq_view(cq, &dv), "view");
		TEST_ASSERT_EQUAL(dv.cqe_cnt, 128, "power of two above 100");
		TEST_ASSERT_EQUAL(dv.cqe_size, sizes[s], "CQE size");
		TEST_ASSERT_EQUAL(*dv.set_ci_db, 0, "consumer index 0");
		for (i = 0; i < dv.cqe_cnt; i++) {
			struct mlx4_cqe *c = (void *)((uint8_t *)dv.buf.buf +
				i * dv.cqe_size + dv.cqe_size - 32);

			/* pass 0: software owns an entry whose bit is 0 */
			TEST_ASSERT_EQUAL(c->owner_sr_opcode &
					  MLX4_CQE_OWNER_MASK,
					  MLX4_CQE_OWNER_MASK,
					  "entry %u hardware-owned", i);
		}
		TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(cq), "destroy");
		temu_env_fini(&e2);
	}
	return TEST_SUCCESS;
}

static int
test_pd_mr(void)
{
	struct mlx4r_hw_pd *pd;
	struct mlx4r_hw_mr *mr;
	static uint8_t mem[4096];

	TEST_ASSERT_SUCCESS(mlx4r_hw_alloc_pd(env.ctx, &pd), "pd");
	TEST_ASSERT_EQUAL(mlx4r_hw_reg_mr(pd, NULL, 10, 0, &mr), -EINVAL,
			  "NULL");
	TEST_ASSERT_EQUAL(mlx4r_hw_reg_mr(pd, mem, 0, 0, &mr), -EINVAL,
			  "empty");
	TEST_ASSERT_EQUAL(mlx4r_hw_reg_mr(pd, mem, 10, 1u << 30, &mr),
			  -EINVAL, "unknown access");
	TEST_ASSERT_SUCCESS(mlx4r_hw_reg_mr(pd, mem, sizeof(mem),
					    IBV_ACCESS_LOCAL_WRITE, &mr), "mr");
	TEST_ASSERT_NOT_EQUAL(mr->lkey & 0xff, 0, "lkey low byte");
	TEST_ASSERT_NOT_EQUAL(mr->lkey, MLX4_INVALID_LKEY, "valid lkey");
	TEST_ASSERT(mr->addr == mem && mr->length == sizeof(mem), "range");
	TEST_ASSERT_EQUAL(mlx4r_hw_dealloc_pd(pd), -EBUSY, "PD with MR");
	TEST_ASSERT_SUCCESS(mlx4r_hw_dereg_mr(mr), "dereg");
	TEST_ASSERT_SUCCESS(mlx4r_hw_dealloc_pd(pd), "dealloc");
	return TEST_SUCCESS;
}

/*
 * Registration as Linux does it: ib_check_mr_access() (remote write or
 * atomic need local write), ib_umem_get() (a wrapping range is EINVAL;
 * every page of the range pinned, mapped and readable, writable for a
 * writable MR, else EFAULT; whole pages counted).
 */
static int
test_mr_pinning(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct mlx4r_emu_dev_info before, info;
	struct mlx4r_hw_pd *pd;
	struct mlx4r_hw_mr *mr, *ro;
	uint8_t *m;

	TEST_ASSERT_SUCCESS(mlx4r_hw_alloc_pd(env.ctx, &pd), "pd");
	m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(m != MAP_FAILED, "mmap");
	TEST_ASSERT_EQUAL(mlx4r_hw_reg_mr(pd, m, 64, IBV_ACCESS_REMOTE_WRITE,
					  &mr), -EINVAL,
			  "remote write without local write");
	TEST_ASSERT_EQUAL(mlx4r_hw_reg_mr(pd, m, 64, IBV_ACCESS_REMOTE_ATOMIC,
					  &mr), -EINVAL,
			  "remote atomic without local write");
	TEST_ASSERT_EQUAL(mlx4r_hw_reg_mr(pd, (void *)(UINTPTR_MAX - 15), 64,
					  0, &mr), -EINVAL, "wrapping range");
	/* page 3 unmapped, page 2 read-only */
	TEST_ASSERT_SUCCESS(munmap(m + 3 * pg, pg), "munmap");
	TEST_ASSERT_SUCCESS(mprotect(m + 2 * pg, pg, PROT_READ), "mprotect");
	TEST_ASSERT_EQUAL(mlx4r_hw_reg_mr(pd, m + 3 * pg, 16, 0, &mr),
			  -EFAULT, "unmapped page");
	TEST_ASSERT_EQUAL(mlx4r_hw_reg_mr(pd, m + 2 * pg + 8, pg, 0, &mr),
			  -EFAULT, "runs into the unmapped page");
	TEST_ASSERT_EQUAL(mlx4r_hw_reg_mr(pd, m + pg, 2 * pg,
					  IBV_ACCESS_LOCAL_WRITE, &mr),
			  -EFAULT, "writable MR over a read-only page");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &before), "info");
	TEST_ASSERT_SUCCESS(mlx4r_hw_reg_mr(pd, m + 2 * pg, 100, 0, &ro),
			    "read-only MR over a read-only page");
	/* 16 bytes across a page boundary pin two pages */
	TEST_ASSERT_SUCCESS(mlx4r_hw_reg_mr(pd, m + pg - 8, 16,
					    IBV_ACCESS_LOCAL_WRITE, &mr),
			    "writable MR");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &info), "info");
	TEST_ASSERT_EQUAL(info.nb_mrs, before.nb_mrs + 2, "two more MRs");
	TEST_ASSERT_EQUAL(info.pinned_bytes, before.pinned_bytes + 3 * pg,
			  "one page and two pages pinned");
	TEST_ASSERT_EQUAL(mlx4r_emu_mr_pinning(env.dev, m, 1), 1,
			  "page 0 pinned by one MR");
	TEST_ASSERT_EQUAL(mlx4r_emu_mr_pinning(env.dev, m + 2 * pg, pg), 1,
			  "page 2 by one");
	TEST_ASSERT_SUCCESS(mlx4r_hw_dereg_mr(mr), "dereg");
	TEST_ASSERT_SUCCESS(mlx4r_hw_dereg_mr(ro), "dereg");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &info), "info");
	TEST_ASSERT_EQUAL(info.nb_mrs, before.nb_mrs, "MRs back");
	TEST_ASSERT_EQUAL(info.pinned_bytes, before.pinned_bytes,
			  "pinned bytes back");
	TEST_ASSERT_EQUAL(info.mrs_deregistered, before.mrs_deregistered + 2,
			  "two deregistrations counted");
	TEST_ASSERT_EQUAL(mlx4r_emu_mr_pinning(env.dev, m, 3 * pg), 0,
			  "nothing pinned there");
	munmap(m, 3 * pg);
	TEST_ASSERT_SUCCESS(mlx4r_hw_dealloc_pd(pd), "dealloc");
	return TEST_SUCCESS;
}

static int
test_ids_never_reused(void)
{
	enum { N = 40 };
	uint32_t qpn[N], cqn[N], lkey[N];
	struct mlx4r_hw_cq *cq;
	struct mlx4r_hw_qp *qp;
	struct mlx4r_hw_mr *mr;
	struct mlx4r_hw_qp_attr qa;
	unsigned int i, j;

	for (i = 0; i < N; i++) {
		TEST_ASSERT_SUCCESS(mlx4r_hw_create_cq(env.ctx, 8, &cq), "cq");
		memset(&qa, 0, sizeof(qa));
		qa.send_cq = cq;
		qa.cap.max_send_wr = 8;
		TEST_ASSERT_SUCCESS(mlx4r_hw_create_qp(env.pd, &qa, &qp), "qp");
		TEST_ASSERT_SUCCESS(mlx4r_hw_reg_mr(env.pd, env.buf, 64, 0,
						    &mr), "mr");
		qpn[i] = qp->qpn;
		cqn[i] = cq->cqn;
		lkey[i] = mr->lkey;
		TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_qp(qp), "qp");
		TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(cq), "cq");
		TEST_ASSERT_SUCCESS(mlx4r_hw_dereg_mr(mr), "mr");
		if (i == N / 2) {
			/* A new context of the same incarnation. */
			TEST_ASSERT_SUCCESS(mlx4r_hw_close_device(env.ctx), "");
			env.ctx = NULL;
			TEST_ASSERT_SUCCESS(mlx4r_hw_open_device(
				mlx4r_hw_backend("emu"), DEV, &env.ctx), "");
			TEST_ASSERT_SUCCESS(mlx4r_hw_alloc_pd(env.ctx,
							      &env.pd), "");
		}
	}
	for (i = 0; i < N; i++)
		for (j = i + 1; j < N; j++) {
			TEST_ASSERT_NOT_EQUAL(qpn[i], qpn[j], "QPN %u %u", i, j);
			TEST_ASSERT_NOT_EQUAL(cqn[i], cqn[j], "CQN %u %u", i, j);
			TEST_ASSERT_NOT_EQUAL(lkey[i], lkey[j], "lkey %u %u",
					      i, j);
		}
	return TEST_SUCCESS;
}

static int
qp_move(struct mlx4r_hw_qp *qp, enum ibv_qp_state s, int mask, uint8_t port)
{
	struct ibv_qp_attr a;

	memset(&a, 0, sizeof(a));
	a.qp_state = s;
	a.port_num = port;
	return mlx4r_hw_modify_qp(qp, &a, mask);
}

static int
test_qp_state_machine(void)
{
	struct mlx4r_hw_qp_attr qa;
	struct mlx4r_hw_cq *cq;
	struct mlx4r_hw_qp *qp;
	struct mlx4r_hw_hook hook;
	struct mlx4dv_qp dv;
	const int S = IBV_QP_STATE, SP = IBV_QP_STATE | IBV_QP_PORT;
	uint32_t i;

	TEST_ASSERT_SUCCESS(mlx4r_hw_create_cq(env.ctx, 64, &cq), "cq");
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = cq;
	qa.cap.max_send_wr = 64;
	qa.cap.max_send_sge = 2;
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_qp(env.pd, &qa, &qp), "qp");
	TEST_ASSERT_GE_U(qa.cap.max_send_wr, 64, "granted");
	TEST_ASSERT_EQUAL(qp->state, IBV_QPS_RESET, "starts in RESET");
	TEST_ASSERT_SUCCESS(mlx4r_hw_qp_view(qp, &dv, &hook), "view");
	TEST_ASSERT_NOT_NULL(hook.fn, "emulation hook");
	TEST_ASSERT_EQUAL(rte_is_power_of_2(dv.sq.wqe_cnt), 1, "pow2");
	TEST_ASSERT_EQUAL(dv.sq.wqe_shift, 6, "TXBBs");
	TEST_ASSERT_EQUAL(dv.rq.offset - dv.sq.offset,
			  (int)(dv.sq.wqe_cnt * 64), "SQ size");
	TEST_ASSERT_EQUAL((uintptr_t)dv.sdb & 0xfff, MLX4_SEND_DOORBELL,
			  "send doorbell at UAR offset 0x14");
	TEST_ASSERT_EQUAL(dv.doorbell_qpn, rte_cpu_to_be_32(qp->qpn << 8),
			  "doorbell value");

	TEST_ASSERT_EQUAL(qp_move(qp, IBV_QPS_RTR, S, 0), -EINVAL,
			  "RESET->RTR");
	TEST_ASSERT_EQUAL(qp_move(qp, IBV_QPS_RTS, S, 0), -EINVAL,
			  "RESET->RTS");
	TEST_ASSERT_EQUAL(qp_move(qp, IBV_QPS_INIT, S, 1), -EINVAL,
			  "INIT without port");
	TEST_ASSERT_EQUAL(qp_move(qp, IBV_QPS_INIT, SP, 3), -EINVAL,
			  "INIT with port 3");
	TEST_ASSERT_EQUAL(qp_move(qp, IBV_QPS_INIT, IBV_QP_PORT, 1), -EINVAL,
			  "no IBV_QP_STATE");
	TEST_ASSERT_EQUAL(qp->state, IBV_QPS_RESET, "unchanged");
	TEST_ASSERT_SUCCESS(qp_move(qp, IBV_QPS_INIT, SP, 1), "RESET->INIT");
	/*
	 * SQ ownership set at INIT as libmlx4 does it: every TXBB a NOP
	 * with the owner bit of no pass-0 WQE (test_emu_sq.c for more).
	 */
	for (i = 0; i < dv.sq.wqe_cnt; i++)
		TEST_ASSERT_EQUAL(*(uint32_t *)((uint8_t *)dv.buf.buf +
						i * 64),
				  RTE_BE32(MLX4R_WQE_OWNER_BIT),
				  "TXBB %u stamped", i);
	TEST_ASSERT_SUCCESS(qp_move(qp, IBV_QPS_INIT, S, 0), "INIT->INIT");
	TEST_ASSERT_EQUAL(qp_move(qp, IBV_QPS_RTS, S, 0), -EINVAL,
			  "INIT->RTS");
	TEST_ASSERT_SUCCESS(qp_move(qp, IBV_QPS_RTR, S, 0), "INIT->RTR");
	TEST_ASSERT_EQUAL(qp_move(qp, IBV_QPS_INIT, S, 0), -EINVAL,
			  "RTR->INIT");
	TEST_ASSERT_SUCCESS(qp_move(qp, IBV_QPS_RTS, S, 0), "RTR->RTS");
	TEST_ASSERT_SUCCESS(qp_move(qp, IBV_QPS_RTS, S, 0), "RTS->RTS");
	TEST_ASSERT_EQUAL(qp_move(qp, IBV_QPS_SQD, S, 0), -EINVAL, "SQD");
	TEST_ASSERT_EQUAL(qp_move(qp, IBV_QPS_RTR, S, 0), -EINVAL,
			  "RTS->RTR");
	TEST_ASSERT_SUCCESS(qp_move(qp, IBV_QPS_ERR, S, 0), "RTS->ERR");
	TEST_ASSERT_EQUAL(qp->state, IBV_QPS_ERR, "in ERR");
	TEST_ASSERT_EQUAL(qp_move(qp, IBV_QPS_RTS, S, 0), -EINVAL,
			  "ERR->RTS");
	TEST_ASSERT_EQUAL(qp_move(qp, IBV_QPS_INIT, SP, 1), -EINVAL,
			  "ERR->INIT");
	TEST_ASSERT_SUCCESS(qp_move(qp, IBV_QPS_RESET, S, 0), "ERR->RESET");
	TEST_ASSERT_SUCCESS(qp_move(qp, IBV_QPS_INIT, SP, 2), "again");
	TEST_ASSERT_EQUAL(mlx4r_hw_destroy_cq(cq), -EBUSY, "CQ in use");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_qp(qp), "destroy QP");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(cq), "destroy CQ");
	return TEST_SUCCESS;
}

/*
 * A destroyed object's ring is kept by the device for the next object of
 * its size, and given to it exactly as a new one: CQ entries zeroed and
 * hardware-owned, the SQ zeroed then stamped at INIT, whatever the old
 * object left there (emu_ring_get()).
 */
static int
test_ring_reuse(void)
{
	struct mlx4r_emu_dev_info a, b;
	struct mlx4r_hw_qp_attr qa;
	struct mlx4r_hw_cq *cq, *cq2;
	struct mlx4r_hw_qp *qp;
	struct mlx4r_hw_hook hook;
	struct mlx4dv_cq dv;
	struct mlx4dv_qp qv;
	void *old_cq, *old_sq;
	uint32_t i, j;

	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &a), "info");
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_cq(env.ctx, 1000, &cq), "cq");
	TEST_ASSERT_SUCCESS(mlx4r_hw_cq_view(cq, &dv), "view");
	old_cq = dv.buf.buf;
	memset(dv.buf.buf, 0xa5, dv.buf.length);
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(cq), "destroy");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &b), "info");
	TEST_ASSERT_EQUAL_U(b.ring_cache_bytes - a.ring_cache_bytes,
			    dv.buf.length, "kept");
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_cq(env.ctx, 1000, &cq), "again");
	TEST_ASSERT_SUCCESS(mlx4r_hw_cq_view(cq, &dv), "view");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &b), "info");
	TEST_ASSERT_EQUAL_U(b.rings_reused - a.rings_reused, 1, "reused");
	TEST_ASSERT(dv.buf.buf == old_cq, "the same buffer");
	for (i = 0; i < dv.cqe_cnt; i++) {
		const uint8_t *e = (const uint8_t *)dv.buf.buf +
				   i * dv.cqe_size;

		for (j = 0; j < (uint32_t)dv.cqe_size; j++)
			TEST_ASSERT_EQUAL(e[j], j == (uint32_t)dv.cqe_size - 1 ?
					  MLX4_CQE_OWNER_MASK : 0,
					  "CQE %u byte %u as new", i, j);
	}
	/* the SQ of a QP, through a CQ of another size */
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_cq(env.ctx, 64, &cq2), "cq2");
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = cq2;
	qa.cap.max_send_wr = 512;
	qa.cap.max_send_sge = 1;
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_qp(env.pd, &qa, &qp), "qp");
	TEST_ASSERT_SUCCESS(mlx4r_hw_qp_view(qp, &qv, &hook), "view");
	old_sq = qv.buf.buf;
	memset(qv.buf.buf, 0x5a, qv.buf.length);
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_qp(qp), "destroy QP");
	qa.cap.max_send_wr = 512; /* the create wrote what it granted */
	qa.cap.max_send_sge = 1;
	qa.cap.max_recv_wr = 0;
	qa.cap.max_recv_sge = 0;
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_qp(env.pd, &qa, &qp), "qp again");
	TEST_ASSERT_SUCCESS(mlx4r_hw_qp_view(qp, &qv, &hook), "view");
	TEST_ASSERT(qv.buf.buf == old_sq, "the same SQ buffer");
	for (i = 0; i < qv.buf.length; i++)
		TEST_ASSERT_EQUAL(((const uint8_t *)qv.buf.buf)[i], 0,
				  "SQ byte %u as new", i);
	TEST_ASSERT_SUCCESS(qp_move(qp, IBV_QPS_INIT,
				    IBV_QP_STATE | IBV_QP_PORT, 1), "INIT");
	for (i = 0; i < qv.sq.wqe_cnt; i++)
		TEST_ASSERT_EQUAL(*(uint32_t *)((uint8_t *)qv.buf.buf + i * 64),
				  RTE_BE32(MLX4R_WQE_OWNER_BIT),
				  "TXBB %u stamped", i);
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_qp(qp), "destroy QP");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(cq2), "destroy CQ");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(cq), "destroy CQ");
	return TEST_SUCCESS;
}

static int
test_qp_create_checks(void)
{
	struct mlx4r_hw_qp_attr qa;
	struct mlx4r_hw_cq *cq;
	struct mlx4r_hw_qp *qp, *qp2;
	struct mlx4r_hw_wq_attr wa;
	struct mlx4r_hw_wq *wq;

	TEST_ASSERT_SUCCESS(mlx4r_hw_create_cq(env.ctx, 64, &cq), "cq");
	memset(&qa, 0, sizeof(qa));
	TEST_ASSERT_EQUAL(mlx4r_hw_create_qp(env.pd, &qa, &qp), -EINVAL,
			  "no CQ");
	qa.send_cq = cq;
	TEST_ASSERT_EQUAL(mlx4r_hw_create_qp(env.pd, &qa, &qp), -EINVAL,
			  "no WR");
	qa.cap.max_send_wr = 16;
	qa.cap.max_inline_data = 64;
	TEST_ASSERT_EQUAL(mlx4r_hw_create_qp(env.pd, &qa, &qp), -EINVAL,
			  "inline unsupported");
	qa.cap.max_inline_data = 0;
	qa.cap.max_send_sge = 33;
	TEST_ASSERT_EQUAL(mlx4r_hw_create_qp(env.pd, &qa, &qp), -EINVAL,
			  "too many SGEs");
	qa.cap.max_send_sge = 1;
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_qp(env.pd, &qa, &qp), "qp");
	TEST_ASSERT_EQUAL(mlx4r_hw_create_qp(env.pd, &qa, &qp2), -EINVAL,
			  "CQ already serves a QP");
	memset(&wa, 0, sizeof(wa));
	wa.cq = cq;
	wa.max_wr = 16;
	wa.max_sge = 1;
	TEST_ASSERT_EQUAL(mlx4r_hw_create_wq(env.pd, &wa, &wq), -EINVAL,
			  "CQ already serves a QP");
	TEST_ASSERT_EQUAL(mlx4r_hw_dealloc_pd(env.pd), -EBUSY, "PD in use");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_qp(qp), "qp");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(cq), "cq");
	return TEST_SUCCESS;
}

static int
test_wq_ind_rss_flow(void)
{
	struct temu_rxq rxq, *rxqs[1] = { &rxq };
	struct mlx4r_hw_ind_table *ind;
	struct mlx4r_hw_wq *wqs[2];
	struct mlx4r_hw_qp *qp, *qp2;
	struct mlx4r_hw_flow *fl;
	struct ibv_rx_hash_conf hc;
	struct ibv_flow_attr fa;
	uint8_t key[40];
	static const uint8_t mac[6] = { 0x00, 0x02, 0xc9, 1, 2, 3 };

	TEST_ASSERT_SUCCESS(temu_rxq_create(&env, 16, 2, 256, &rxq), "rxq");
	TEST_ASSERT_EQUAL(rxq.dv.rq.wqe_cnt, 16, "WQEs");
	TEST_ASSERT_EQUAL(rxq.dv.rq.wqe_shift, 5, "2 segments of 16 bytes");
	TEST_ASSERT_EQUAL(rxq.wq->state, IBV_WQS_RDY, "ready");
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_wq(rxq.wq, IBV_WQS_RESET), "");
	/* mlx4_ib_modify_wq(): RESET -> ERR and ERR -> RDY are refused */
	TEST_ASSERT_EQUAL(mlx4r_hw_modify_wq(rxq.wq, IBV_WQS_ERR), -EINVAL,
			  "RESET->ERR");
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_wq(rxq.wq, IBV_WQS_RDY), "");
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_wq(rxq.wq, IBV_WQS_ERR), "");
	TEST_ASSERT_EQUAL(mlx4r_hw_modify_wq(rxq.wq, IBV_WQS_RDY), -EINVAL,
			  "ERR->RDY");
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_wq(rxq.wq, IBV_WQS_RESET), "");
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_wq(rxq.wq, IBV_WQS_RDY), "");

	wqs[0] = rxq.wq;
	wqs[1] = NULL;
	TEST_ASSERT_EQUAL(mlx4r_hw_create_ind_table(env.ctx, 1, wqs, &ind),
			  -EINVAL, "NULL entry");
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_ind_table(env.ctx, 0, wqs, &ind),
			    "table");
	TEST_ASSERT_EQUAL(mlx4r_hw_destroy_wq(rxq.wq), -EBUSY, "WQ in table");
	memset(&hc, 0, sizeof(hc));
	memset(key, 0, sizeof(key));
	hc.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ;
	hc.rx_hash_key_len = 16;
	hc.rx_hash_key = key;
	TEST_ASSERT_EQUAL(mlx4r_hw_create_rss_qp(env.pd, ind, &hc, &qp),
			  -EINVAL, "key length");
	hc.rx_hash_key_len = 40;
	hc.rx_hash_fields_mask = IBV_RX_HASH_IPSEC_SPI;
	TEST_ASSERT_EQUAL(mlx4r_hw_create_rss_qp(env.pd, ind, &hc, &qp),
			  -EOPNOTSUPP, "field");
	hc.rx_hash_fields_mask = IBV_RX_HASH_SRC_IPV4;
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_rss_qp(env.pd, ind, &hc, &qp),
			    "RSS QP");
	TEST_ASSERT_EQUAL(mlx4r_hw_destroy_ind_table(ind), -EBUSY,
			  "table in use");
	TEST_ASSERT_EQUAL(qp_move(qp, IBV_QPS_INIT,
				  IBV_QP_STATE | IBV_QP_PORT, 2), 0, "INIT");
	TEST_ASSERT_EQUAL(temu_flow_mac(qp, 1, mac, &fl), -EINVAL,
			  "flow on another port than the QP's");
	memset(&fa, 0, sizeof(fa));
	fa.type = IBV_FLOW_ATTR_SNIFFER;
	fa.port = 2;
	TEST_ASSERT_EQUAL(mlx4r_hw_create_flow(qp, &fa, &fl), -EOPNOTSUPP,
			  "sniffer");
	TEST_ASSERT_SUCCESS(temu_flow_mac(qp, 2, mac, &fl), "flow");
	TEST_ASSERT_EQUAL(mlx4r_hw_destroy_qp(qp), -EBUSY, "QP with a flow");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_flow(fl), "flow");
	/* A second RSS QP over the same WQs may not take another port. */
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_rss_qp(env.pd, ind, &hc, &qp2),
			    "second RSS QP");
	TEST_ASSERT_EQUAL(qp_move(qp2, IBV_QPS_INIT,
				  IBV_QP_STATE | IBV_QP_PORT, 1), -EINVAL,
			  "WQs are on port 2");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_qp(qp2), "");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_qp(qp), "");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_ind_table(ind), "");
	temu_rxq_destroy(&rxq);
	RTE_SET_USED(rxqs);
	return TEST_SUCCESS;
}

static int
test_close_cleans_up(void)
{
	struct mlx4r_emu_dev_info info;
	struct temu_txq txq;
	struct temu_rxq rxq, *rxqs[1] = { &rxq };
	struct mlx4r_hw_ind_table *ind;
	struct mlx4r_hw_qp *qp;
	struct mlx4r_hw_flow *fl;
	uint64_t leaked;

	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &info), "info");
	leaked = info.objects_leaked;
	TEST_ASSERT_SUCCESS(temu_txq_create(&env, 1, 64, &txq), "txq");
	TEST_ASSERT_SUCCESS(temu_rxq_create(&env, 16, 1, 2048, &rxq), "rxq");
	TEST_ASSERT_SUCCESS(temu_rss_create(&env, 1, rxqs, NULL, 0, 0, NULL,
					    &ind, &qp), "rss");
	TEST_ASSERT_SUCCESS(temu_flow_kind(qp, 1, IBV_FLOW_ATTR_ALL_DEFAULT,
					   &fl), "flow");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &info), "info");
	/* env: PD, MR; txq: CQ, QP; rxq: CQ, WQ, MR; table, RSS QP, flow */
	TEST_ASSERT_EQUAL(info.nb_objects, 10, "live objects");
	TEST_ASSERT_EQUAL(mlx4r_emu_dev_destroy(DEV), -EBUSY, "device busy");
	free(rxq.mem);
	TEST_ASSERT_SUCCESS(mlx4r_hw_close_device(env.ctx), "close");
	env.ctx = NULL;
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &info), "info");
	TEST_ASSERT_EQUAL(info.nb_objects, 0, "all destroyed");
	TEST_ASSERT_EQUAL(info.objects_leaked - leaked, 10, "counted");
	TEST_ASSERT_EQUAL(info.nb_contexts, 0, "closed");
	return TEST_SUCCESS;
}

/*
 * The kernel netdev of a port: created down (the driver brings it up); the
 * port is ACTIVE only while it is up (mlx4_ib eth_link_query_port), each
 * change of that posts PORT_ACTIVE/PORT_ERR; the MTU takes 68..max_mtu;
 * after a catastrophic error the device comes back with new netdevs,
 * down, MTU 1500 (mlx4_restart_one).
 */
static int
test_netdev(void)
{
	const struct mlx4r_hw_ops *ops = mlx4r_hw_backend("emu");
	struct mlx4r_emu_dev_conf conf;
	struct mlx4r_emu_netdev_info ni;
	struct mlx4r_hw_async_event ev;
	struct mlx4r_emu_dev *dev;
	struct mlx4r_hw_netdev nd;
	struct mlx4r_hw_ctx *ctx;
	struct ibv_port_attr pa;
	unsigned int i;

	memset(&conf, 0, sizeof(conf));
	conf.max_mtu = 4000;
	conf.speed = 10000;
	mlx4r_emu_dev_destroy("t_emu_netdev");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_create("t_emu_netdev", &conf), "");
	dev = mlx4r_emu_dev_lookup("t_emu_netdev");
	TEST_ASSERT_SUCCESS(mlx4r_hw_open_device(ops, "t_emu_netdev", &ctx),
			    "open");
	TEST_ASSERT_SUCCESS(mlx4r_hw_netdev_query(ctx, 1, &nd), "query");
	TEST_ASSERT(!nd.up && !nd.running, "created down");
	TEST_ASSERT_EQUAL(nd.mtu, 1500, "MTU 1500");
	TEST_ASSERT_EQUAL(nd.speed, 0, "no speed without carrier");
	TEST_ASSERT(nd.name[0] != '\0', "a name");
	TEST_ASSERT_SUCCESS(mlx4r_hw_query_port(ctx, 1, &pa), "port");
	TEST_ASSERT_EQUAL(pa.state, IBV_PORT_DOWN, "down with its netdev");
	TEST_ASSERT_SUCCESS(mlx4r_hw_netdev_set_up(ctx, 1, true), "up");
	TEST_ASSERT_SUCCESS(mlx4r_hw_get_async_event(ctx, &ev), "event");
	TEST_ASSERT_EQUAL(ev.event_type, IBV_EVENT_PORT_ACTIVE, "ACTIVE");
	TEST_ASSERT_EQUAL(ev.element.port_num, 1, "port 1");
	mlx4r_hw_ack_async_event(ctx, &ev);
	TEST_ASSERT_SUCCESS(mlx4r_hw_netdev_set_up(ctx, 1, true), "up again");
	TEST_ASSERT_EQUAL(mlx4r_hw_get_async_event(ctx, &ev), -EAGAIN,
			  "no change, no event");
	TEST_ASSERT_SUCCESS(mlx4r_hw_query_port(ctx, 1, &pa), "port");
	TEST_ASSERT_EQUAL(pa.state, IBV_PORT_ACTIVE, "active");
	TEST_ASSERT_EQUAL(pa.active_width, 1, "1x at 10 Gb/s");
	TEST_ASSERT_SUCCESS(mlx4r_hw_netdev_query(ctx, 1, &nd), "query");
	TEST_ASSERT(nd.up && nd.running, "running");
	TEST_ASSERT_EQUAL(nd.speed, 10000, "ethtool speed");
	TEST_ASSERT_EQUAL(mlx4r_hw_netdev_set_mtu(ctx, 1, 67), -EINVAL,
			  "below ETH_MIN_MTU");
	TEST_ASSERT_EQUAL(mlx4r_hw_netdev_set_mtu(ctx, 1, 4001), -EINVAL,
			  "above max_mtu");
	TEST_ASSERT_SUCCESS(mlx4r_hw_netdev_set_mtu(ctx, 1, 4000), "4000");
	TEST_ASSERT_SUCCESS(mlx4r_emu_netdev_info(dev, 1, &ni), "info");
	TEST_ASSERT_EQUAL(ni.mtu, 4000, "MTU set");
	/* the administrator takes it down: PORT_ERR, port down */
	TEST_ASSERT_SUCCESS(mlx4r_emu_netdev_set_up(dev, 1, false), "down");
	TEST_ASSERT_SUCCESS(mlx4r_hw_get_async_event(ctx, &ev), "event");
	TEST_ASSERT_EQUAL(ev.event_type, IBV_EVENT_PORT_ERR, "PORT_ERR");
	mlx4r_hw_ack_async_event(ctx, &ev);
	TEST_ASSERT_SUCCESS(mlx4r_hw_query_port(ctx, 1, &pa), "port");
	TEST_ASSERT_EQUAL(pa.state, IBV_PORT_DOWN, "down");
	/* a catastrophic error: new netdevs when the device is back */
	TEST_ASSERT_SUCCESS(mlx4r_hw_netdev_set_up(ctx, 2, true), "up 2");
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_fatal(dev, 0), "fatal");
	TEST_ASSERT_SUCCESS(mlx4r_hw_netdev_query(ctx, 2, &nd), "query");
	TEST_ASSERT(nd.up, "the old netdev lives on until the restart");
	TEST_ASSERT_SUCCESS(mlx4r_hw_close_device(ctx), "close");
	/* dying, then absent, then re-created (mlx4r_emu_fault_fatal()) */
	for (i = 0; i < 5000; i++) {
		struct mlx4r_emu_dev_info di;

		TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(dev, &di), "info");
		if (di.catas == MLX4R_EMU_CATAS_NONE)
			break;
		usleep(1000);
	}
	TEST_ASSERT_SUCCESS(mlx4r_hw_open_device(ops, "t_emu_netdev", &ctx),
			    "back");
	TEST_ASSERT_SUCCESS(mlx4r_hw_netdev_query(ctx, 2, &nd), "query");
	TEST_ASSERT(!nd.up, "a new netdev, down");
	TEST_ASSERT_SUCCESS(mlx4r_hw_netdev_query(ctx, 1, &nd), "query");
	TEST_ASSERT_EQUAL(nd.mtu, 1500, "with the default MTU");
	TEST_ASSERT_SUCCESS(mlx4r_hw_close_device(ctx), "close");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_destroy("t_emu_netdev"), "destroy");
	return TEST_SUCCESS;
}

/* A raw Tx QP on its own CQ, for the event cases. */
static int
event_qp(struct mlx4r_hw_cq **cq, struct mlx4r_hw_qp **qp)
{
	struct mlx4r_hw_qp_attr qa;

	TEST_ASSERT_SUCCESS(mlx4r_hw_create_cq(env.ctx, 64, cq), "cq");
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = *cq;
	qa.cap.max_send_wr = 64;
	qa.cap.max_send_sge = 1;
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_qp(env.pd, &qa, qp), "qp");
	return TEST_SUCCESS;
}

/*
 * The events of a destroyed QP that nobody read are dropped (Linux 6.1
 * uverbs_main.c ib_uverbs_release_uevent(), from uverbs_free_qp()): no
 * event may name a handle whose memory is gone, which the allocator may
 * already have given to a new QP. The other events stay, in order.
 */
static int
test_destroy_drops_unread_events(void)
{
	struct mlx4r_hw_async_event ev;
	struct mlx4r_hw_cq *cq, *cq2;
	struct mlx4r_hw_qp *qp, *qp2;
	struct pollfd pfd = { .fd = env.ctx->async_fd, .events = POLLIN };

	TEST_ASSERT_EQUAL(event_qp(&cq, &qp), TEST_SUCCESS, "qp");
	TEST_ASSERT_EQUAL(event_qp(&cq2, &qp2), TEST_SUCCESS, "qp 2");
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_qp_error(env.dev, qp->qpn), "");
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_qp_error(env.dev, qp2->qpn), "");
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_qp_error(env.dev, qp->qpn), "");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_qp(qp), "destroy, unread");
	TEST_ASSERT_EQUAL(poll(&pfd, 1, 0), 1, "the other QP's is pending");
	TEST_ASSERT_SUCCESS(mlx4r_hw_get_async_event(env.ctx, &ev), "event");
	TEST_ASSERT_EQUAL(ev.event_type, IBV_EVENT_QP_FATAL, "QP_FATAL");
	TEST_ASSERT(ev.element.qp == qp2, "of the QP alive");
	mlx4r_hw_ack_async_event(env.ctx, &ev);
	TEST_ASSERT_EQUAL(mlx4r_hw_get_async_event(env.ctx, &ev), -EAGAIN,
			  "none of the destroyed QP");
	TEST_ASSERT_EQUAL(poll(&pfd, 1, 0), 0, "and the fd says so");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_qp(qp2), "destroy 2");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(cq2), "cq 2");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(cq), "cq");
	return TEST_SUCCESS;
}

struct destroyer {
	struct mlx4r_hw_qp *qp;
	int ret;
	bool done;
};

static void *
destroy_qp_thread(void *arg)
{
	struct destroyer *d = arg;

	d->ret = mlx4r_hw_destroy_qp(d->qp);
	__atomic_store_n(&d->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * An event read names a QP whose destroy then waits until the event is
 * acknowledged, as libibverbs' ibv_cmd_destroy_qp waits for
 * events_completed to reach the kernel's events_reported (rdma-core 44
 * libibverbs/cmd_qp.c): the reader may use the handle until its ack.
 */
static int
test_destroy_waits_for_ack(void)
{
	struct mlx4r_hw_async_event ev;
	struct destroyer d = { .ret = -1 };
	struct mlx4r_hw_cq *cq;
	pthread_t t;

	TEST_ASSERT_EQUAL(event_qp(&cq, &d.qp), TEST_SUCCESS, "qp");
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_qp_error(env.dev, d.qp->qpn), "");
	TEST_ASSERT_SUCCESS(mlx4r_hw_get_async_event(env.ctx, &ev), "event");
	TEST_ASSERT(ev.element.qp == d.qp, "names the QP");
	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, destroy_qp_thread, &d),
			    "thread");
	usleep(30000);
	TEST_ASSERT(!__atomic_load_n(&d.done, __ATOMIC_ACQUIRE),
		    "the destroy waits for the acknowledgement");
	TEST_ASSERT_EQUAL(ev.element.qp->qpn, d.qp->qpn,
			  "the handle is still good");
	mlx4r_hw_ack_async_event(env.ctx, &ev);
	TEST_ASSERT_SUCCESS(pthread_join(t, NULL), "join");
	TEST_ASSERT(d.done, "done once acknowledged");
	TEST_ASSERT_SUCCESS(d.ret, "destroyed");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(cq), "cq");
	return TEST_SUCCESS;
}

static struct unit_test_suite emu_obj_suite = {
	.suite_name = "emulated ConnectX-3: objects",
	.setup = NULL,
	.teardown = NULL,
	.unit_test_cases = {
		TEST_CASE_ST(setup, teardown, test_open_query),
		TEST_CASE_ST(setup, teardown, test_async_fd_idle),
		TEST_CASE(test_cq_owner_hw),
		TEST_CASE_ST(setup, teardown, test_pd_mr),
		TEST_CASE_ST(setup, teardown, test_mr_pinning),
		TEST_CASE_ST(setup, teardown, test_ids_never_reused),
		TEST_CASE_ST(setup, teardown, test_qp_state_machine),
		TEST_CASE_ST(setup, teardown, test_qp_create_checks),
		TEST_CASE_ST(setup, teardown, test_ring_reuse),
		TEST_CASE_ST(setup, teardown, test_wq_ind_rss_flow),
		TEST_CASE_ST(setup, teardown, test_close_cleans_up),
		TEST_CASE_ST(setup, teardown,
			     test_destroy_drops_unread_events),
		TEST_CASE_ST(setup, teardown, test_destroy_waits_for_ack),
		TEST_CASE(test_netdev),
		TEST_CASES_END()
	}
};

static int
test_emu_obj(void)
{
	return unit_test_suite_runner(&emu_obj_suite);
}

REGISTER_TEST_COMMAND(emu_obj_autotest, test_emu_obj);
