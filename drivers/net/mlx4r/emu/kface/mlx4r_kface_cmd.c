/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The uverbs write commands of the kernel face (see mlx4r_kface.h). Each
 * command is checked as Linux 6.1 checks it (the header in uverbs_main.c
 * ib_uverbs_write() / verify_hdr(), the core part in uverbs_cmd.c, the
 * driver part in drivers/infiniband/hw/mlx4) and answered by the model's
 * seam (mlx4r_hw.h), so that one set of rules stands behind both faces.
 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rdma/ib_user_verbs.h>
#include <rdma/mlx4-abi.h>

#include <rte_byteorder.h>

#include "mlx4r_kface.h"
#include "mlx4r_emu.h"
#include "mlx4r_emu_priv.h"

void kf_async_register(struct kf_file *f, int fd);

static pthread_once_t kf_once = PTHREAD_ONCE_INIT;
static int kf_init_err;
static struct mlx4r_emu_dev *kf_dev;

/* A command as the kernel splits it: core and driver parts, both ways. */
struct kf_req {
	const uint8_t *in;         /* core request (after the headers) */
	size_t in_len;
	const uint8_t *drv_in;     /* driver request (mlx4-abi.h) */
	size_t drv_in_len;
	uint8_t *out;              /* core response (user memory) */
	size_t out_len;
	uint8_t *drv_out;          /* driver response */
	size_t drv_out_len;
};

static void
kf_init_once(void)
{
	struct mlx4r_emu_gen_conf gen;
	struct mlx4r_emu_dev_conf conf;
	struct mlx4r_emu_dev *dev;
	uint8_t p;
	int ret = 0;

	memset(&conf, 0, sizeof(conf));
	conf.nb_ports = kf_conf.nb_ports;
	ret = mlx4r_emu_dev_create(kf_conf.dev_name, &conf);
	if (ret != 0 && ret != -EEXIST) {
		kf_init_err = ret;
		return;
	}
	dev = mlx4r_emu_dev_lookup(kf_conf.dev_name);
	for (p = 1; p <= conf.nb_ports && ret == 0; p++) {
		if (strcmp(kf_conf.wire, "loopback") == 0)
			ret = mlx4r_emu_wire_loopback(dev, p);
		else if (strcmp(kf_conf.wire, "none") == 0)
			ret = mlx4r_emu_wire_none(dev, p);
		else if (strcmp(kf_conf.wire, "xconnect") == 0 && p == 1 &&
			 conf.nb_ports == 2)
			ret = mlx4r_emu_wire_xconnect(dev, 1, dev, 2);
		else if (strcmp(kf_conf.wire, "gen") == 0) {
			ret = mlx4r_emu_wire_peer(dev, p);
			memset(&gen, 0, sizeof(gen));
			if (ret == 0)
				ret = mlx4r_emu_gen_start(dev, p, &gen);
		}
	}
	kf_dev = dev;
	kf_init_err = ret;
}

int
kf_init(void)
{
	pthread_once(&kf_once, kf_init_once);
	return kf_init_err;
}

/*
 * Handles.
 */

static int
kf_obj_new(struct kf_file *f, enum kf_obj_kind kind, void *hw,
	   uint64_t user_handle, uint32_t *handle)
{
	uint32_t i, h;

	for (i = 0; i < KF_MAX_OBJ - 1; i++) {
		h = 1 + (f->next_handle - 1 + i) % (KF_MAX_OBJ - 1);
		if (f->obj[h].kind == KF_OBJ_FREE) {
			f->obj[h].kind = kind;
			f->obj[h].hw = hw;
			f->obj[h].user_handle = user_handle;
			f->next_handle = h + 1;
			*handle = h;
			return 0;
		}
	}
	return -ENOMEM;
}

static struct kf_obj *
kf_obj_get(struct kf_file *f, uint32_t handle, enum kf_obj_kind kind)
{
	/* uverbs: a handle of another type or none is -EINVAL
	 * (rdma_core.c uobj_get_read()/_write() -> -EINVAL for a bad id) */
	if (handle == 0 || handle >= KF_MAX_OBJ || f->obj[handle].kind != kind)
		return NULL;
	return &f->obj[handle];
}

static void
kf_obj_free(struct kf_obj *o)
{
	memset(o, 0, sizeof(*o));
}

/* Copy a core response, shorter if the user's buffer is shorter
 * (uverbs_cmd.c uverbs_response(): copies min(resp_len, outlen)). */
static int
kf_resp(struct kf_req *r, const void *resp, size_t len)
{
	if (r->out == NULL)
		return 0;
	memcpy(r->out, resp, RTE_MIN(len, r->out_len));
	if (r->out_len > len)
		memset(r->out + len, 0, r->out_len - len);
	return 0;
}

/*
 * Commands.
 */

static int
kf_get_context(struct kf_file *f, struct kf_req *r)
{
	struct ib_uverbs_get_context_resp resp;
	struct mlx4_ib_alloc_ucontext_resp drv;
	struct mlx4r_hw_ctx *ctx;
	int afd, ret;

	/* uverbs_cmd.c ib_uverbs_get_context(): one context per file */
	if (f->ctx != NULL)
		return -EINVAL;
	/* mlx4_ib main.c mlx4_ib_alloc_ucontext(): ABI 4 response */
	if (r->drv_out_len < sizeof(drv))
		return -EINVAL;
	ret = mlx4r_hw_emu_ops.open_device(kf_conf.dev_name, &ctx);
	if (ret != 0)
		return ret;
	afd = dup(ctx->async_fd);
	if (afd < 0) {
		ret = -errno;
		mlx4r_hw_emu_ops.close_device(ctx);
		return ret;
	}
	f->ctx = ctx;
	f->async_fd = afd;
	kf_async_register(f, afd);
	memset(&resp, 0, sizeof(resp));
	resp.async_fd = (uint32_t)afd;
	resp.num_comp_vectors = 1;
	/*
	 * mlx4_ib_alloc_ucontext(): qp_tab_size = caps.num_qps (ConnectX-3:
	 * 1 << 17), bf_reg_size = caps.bf_reg_size (512),
	 * bf_regs_per_page = caps.bf_regs_per_page, dev_caps
	 * LARGE_CQE with cqe_size when the firmware uses 64-byte CQEs.
	 */
	memset(&drv, 0, sizeof(drv));
	drv.qp_tab_size = 1u << 17;
	drv.bf_reg_size = 512;
	drv.bf_regs_per_page = 8;
	drv.cqe_size = 32;
	kf_resp(r, &resp, sizeof(resp));
	memcpy(r->drv_out, &drv, sizeof(drv));
	return 0;
}

static void
kf_fill_device(struct ib_uverbs_query_device_resp *d,
	       const struct ibv_device_attr *a)
{
	unsigned int maj = 2, min = 42, sub = 5000;

	memset(d, 0, sizeof(*d));
	sscanf(a->fw_ver, "%u.%u.%u", &maj, &min, &sub);
	d->fw_ver = ((uint64_t)maj << 32) | ((uint64_t)min << 16) | sub;
	d->node_guid = a->node_guid;
	d->sys_image_guid = a->sys_image_guid;
	d->max_mr_size = a->max_mr_size;
	d->page_size_cap = a->page_size_cap;
	d->vendor_id = a->vendor_id;
	d->vendor_part_id = a->vendor_part_id;
	d->hw_ver = a->hw_ver;
	d->max_qp = (uint32_t)a->max_qp;
	d->max_qp_wr = (uint32_t)a->max_qp_wr;
	/*
	 * mlx4_ib_query_device(): the capabilities of a ConnectX-3 with
	 * device-managed flow steering (IB_DEVICE_MANAGED_FLOW_STEERING,
	 * bit 29) and raw IP checksums (IB_DEVICE_RAW_IP_CSUM, bit 26).
	 */
	d->device_cap_flags = (1u << 26) | (1u << 29);
	d->max_sge = (uint32_t)a->max_sge;
	d->max_sge_rd = 0;
	d->max_cq = (uint32_t)a->max_cq;
	d->max_cqe = (uint32_t)a->max_cqe;
	d->max_mr = (uint32_t)a->max_mr;
	d->max_pd = (uint32_t)a->max_pd;
	d->max_mcast_grp = 8192;
	d->max_mcast_qp_attach = 248;
	d->max_total_mcast_qp_attach = 8192 * 248;
	d->max_ah = 0x7fffffff;
	d->max_pkeys = 128;
	d->local_ca_ack_delay = 15;
	d->phys_port_cnt = a->phys_port_cnt;
}

static int
kf_query_device(struct kf_file *f, struct kf_req *r)
{
	struct ib_uverbs_query_device_resp resp;
	struct ibv_device_attr a;
	int ret;

	if (f->ctx == NULL)
		return -EINVAL;
	ret = mlx4r_hw_emu_ops.query_device(f->ctx, &a);
	if (ret != 0)
		return ret;
	kf_fill_device(&resp, &a);
	return kf_resp(r, &resp, sizeof(resp));
}

static int
kf_ex_query_device(struct kf_file *f, struct kf_req *r)
{
	struct ib_uverbs_ex_query_device_resp resp;
	struct mlx4_uverbs_ex_query_device_resp drv;
	const struct ib_uverbs_ex_query_device *cmd = (const void *)r->in;
	struct emu_dev *dev = (struct emu_dev *)kf_dev;
	struct ibv_device_attr a;
	int ret;

	if (f->ctx == NULL)
		return -EINVAL;
	/* uverbs_cmd.c ib_uverbs_ex_query_device(): comp_mask and reserved 0 */
	if (cmd->comp_mask != 0 || cmd->reserved != 0)
		return -EINVAL;
	ret = mlx4r_hw_emu_ops.query_device(f->ctx, &a);
	if (ret != 0)
		return ret;
	memset(&resp, 0, sizeof(resp));
	kf_fill_device(&resp.base, &a);
	/*
	 * mlx4_ib_query_device(): RSS over RAW_PACKET QPs with the
	 * firmware's max_rss_tbl_sz, one WQ type (RQ) per QP, scatter FCS.
	 */
	resp.rss_caps.supported_qpts = 1u << IBV_QPT_RAW_PACKET;
	resp.rss_caps.max_rwq_indirection_tables = (uint32_t)a.max_qp;
	resp.rss_caps.max_rwq_indirection_table_size = dev->conf.max_rss_tbl;
	resp.max_wq_type_rq = (uint32_t)a.max_qp;
	resp.raw_packet_caps = IBV_RAW_PACKET_CAP_SCATTER_FCS;
	resp.cq_moderation_caps.max_cq_moderation_count = 0xffff;
	resp.cq_moderation_caps.max_cq_moderation_period = 0xffff;
	resp.response_length = (uint32_t)RTE_MIN(sizeof(resp), r->out_len);
	kf_resp(r, &resp, sizeof(resp));
	/*
	 * The driver part as mlx4_ib_query_device() fills it for the
	 * output room given: no core clock offset (no clock page to map),
	 * Toeplitz over IPv4/IPv6 addresses and TCP/UDP ports.
	 */
	if (r->drv_out_len > 0) {
		memset(&drv, 0, sizeof(drv));
		drv.response_length = offsetof(typeof(drv), response_length) +
				      sizeof(drv.response_length);
		if (r->drv_out_len >= offsetof(typeof(drv), max_inl_recv_sz) +
				      sizeof(drv.max_inl_recv_sz))
			drv.response_length =
				offsetof(typeof(drv), max_inl_recv_sz) +
				sizeof(drv.max_inl_recv_sz);
		if (r->drv_out_len >= offsetof(typeof(drv), rss_caps) +
				      sizeof(drv.rss_caps)) {
			drv.rss_caps.rx_hash_function =
				MLX4_IB_RX_HASH_FUNC_TOEPLITZ;
			drv.rss_caps.rx_hash_fields_mask =
				MLX4_IB_RX_HASH_SRC_IPV4 |
				MLX4_IB_RX_HASH_DST_IPV4 |
				MLX4_IB_RX_HASH_SRC_IPV6 |
				MLX4_IB_RX_HASH_DST_IPV6 |
				MLX4_IB_RX_HASH_SRC_PORT_TCP |
				MLX4_IB_RX_HASH_DST_PORT_TCP |
				MLX4_IB_RX_HASH_SRC_PORT_UDP |
				MLX4_IB_RX_HASH_DST_PORT_UDP;
			drv.response_length = offsetof(typeof(drv), rss_caps) +
					      sizeof(drv.rss_caps);
		}
		if (r->drv_out_len >= sizeof(drv))
			drv.response_length = sizeof(drv);
		memcpy(r->drv_out, &drv,
		       RTE_MIN(sizeof(drv), r->drv_out_len));
	}
	return 0;
}

static int
kf_query_port(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_query_port *cmd = (const void *)r->in;
	struct ib_uverbs_query_port_resp resp;
	struct ibv_port_attr a;
	int ret;

	if (f->ctx == NULL)
		return -EINVAL;
	/* device.c ib_query_port(): rdma_is_port_valid() or -EINVAL */
	if (cmd->port_num < 1 || cmd->port_num > f->ctx->nb_ports)
		return -EINVAL;
	ret = mlx4r_hw_emu_ops.query_port(f->ctx, cmd->port_num, &a);
	if (ret != 0)
		return ret;
	memset(&resp, 0, sizeof(resp));
	/* mlx4_ib main.c eth_link_query_port(): an Ethernet port */
	resp.port_cap_flags = IBV_PORT_CM_SUP | IBV_PORT_IP_BASED_GIDS;
	resp.max_msg_sz = a.max_msg_sz;
	resp.gid_tbl_len = (uint32_t)a.gid_tbl_len;
	resp.pkey_tbl_len = a.pkey_tbl_len;
	resp.state = (uint8_t)a.state;
	resp.max_mtu = (uint8_t)a.max_mtu;
	resp.active_mtu = (uint8_t)a.active_mtu;
	resp.max_vl_num = 2;
	resp.active_width = a.active_width;
	resp.active_speed = a.active_speed;
	resp.phys_state = a.phys_state;
	resp.link_layer = a.link_layer;
	return kf_resp(r, &resp, sizeof(resp));
}

static int
kf_alloc_pd(struct kf_file *f, struct kf_req *r)
{
	struct ib_uverbs_alloc_pd_resp resp;
	struct mlx4_ib_alloc_pd_resp drv;
	struct mlx4r_hw_pd *pd;
	uint32_t h;
	int ret;

	if (f->ctx == NULL)
		return -EINVAL;
	ret = mlx4r_hw_emu_ops.alloc_pd(f->ctx, &pd);
	if (ret != 0)
		return ret;
	ret = kf_obj_new(f, KF_OBJ_PD, pd, 0, &h);
	if (ret != 0) {
		mlx4r_hw_emu_ops.dealloc_pd(pd);
		return ret;
	}
	resp.pd_handle = h;
	kf_resp(r, &resp, sizeof(resp));
	/* mlx4_ib_alloc_pd(): the PD number to the driver data, if room */
	if (r->drv_out_len >= sizeof(drv)) {
		memset(&drv, 0, sizeof(drv));
		drv.pdn = pd->pdn;
		memcpy(r->drv_out, &drv, sizeof(drv));
	}
	return 0;
}

static int
kf_dealloc_pd(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_dealloc_pd *cmd = (const void *)r->in;
	struct kf_obj *o = kf_obj_get(f, cmd->pd_handle, KF_OBJ_PD);
	int ret;

	if (o == NULL)
		return -EINVAL;
	ret = mlx4r_hw_emu_ops.dealloc_pd(o->hw);
	if (ret != 0)
		return ret;
	kf_obj_free(o);
	return 0;
}

/*
 * Dispatch.
 */

struct kf_method {
	int (*fn)(struct kf_file *f, struct kf_req *r);
	size_t req_size;           /* core request, without the headers */
	size_t resp_size;          /* core response */
	bool has_resp;             /* legacy: request starts with response */
	bool has_udata;            /* driver data follows the core parts */
};

#define KF_M(f_, req_, resp_, hr_, ud_) \
	{ .fn = (f_), .req_size = (req_), .resp_size = (resp_), \
	  .has_resp = (hr_), .has_udata = (ud_) }

/* uverbs_std_types / uverbs_cmd.c DECLARE_UVERBS_WRITE of each method. */
static const struct kf_method kf_legacy[IB_USER_VERBS_CMD_THRESHOLD] = {
	[IB_USER_VERBS_CMD_GET_CONTEXT] = KF_M(kf_get_context,
		sizeof(struct ib_uverbs_get_context),
		sizeof(struct ib_uverbs_get_context_resp), true, true),
	[IB_USER_VERBS_CMD_QUERY_DEVICE] = KF_M(kf_query_device,
		sizeof(struct ib_uverbs_query_device),
		sizeof(struct ib_uverbs_query_device_resp), true, false),
	[IB_USER_VERBS_CMD_QUERY_PORT] = KF_M(kf_query_port,
		sizeof(struct ib_uverbs_query_port),
		sizeof(struct ib_uverbs_query_port_resp), true, false),
	[IB_USER_VERBS_CMD_ALLOC_PD] = KF_M(kf_alloc_pd,
		sizeof(struct ib_uverbs_alloc_pd),
		sizeof(struct ib_uverbs_alloc_pd_resp), true, true),
	[IB_USER_VERBS_CMD_DEALLOC_PD] = KF_M(kf_dealloc_pd,
		sizeof(struct ib_uverbs_dealloc_pd), 0, false, false),
};

static const struct kf_method kf_ex[IB_USER_VERBS_EX_CMD_MODIFY_CQ + 1] = {
	[IB_USER_VERBS_EX_CMD_QUERY_DEVICE] = KF_M(kf_ex_query_device,
		sizeof(struct ib_uverbs_ex_query_device),
		offsetof(struct ib_uverbs_ex_query_device_resp, comp_mask) +
		2 * sizeof(uint32_t), false, true),
};

/* MLX4R_KFACE_TRACE=1: one line per command on stderr. */
static void
kf_trace(bool is_ex, uint32_t cmd, int ret)
{
	static int on = -1;

	if (on < 0)
		on = getenv("MLX4R_KFACE_TRACE") != NULL;
	if (on)
		fprintf(stderr, "mlx4r kface: %scmd %u: %d\n",
			is_ex ? "ex " : "", cmd, ret);
}

ssize_t
kf_cmd_write(struct kf_file *f, const void *buf, size_t count)
{
	const struct ib_uverbs_cmd_hdr *hdr = buf;
	const struct ib_uverbs_ex_cmd_hdr *ex;
	const struct kf_method *m;
	struct kf_req r;
	uint32_t cmd;
	bool is_ex;
	int ret;

	/* uverbs_main.c ib_uverbs_write() and verify_hdr() */
	if (count < sizeof(*hdr))
		return -EINVAL;
	if (hdr->command & ~(uint32_t)(IB_USER_VERBS_CMD_FLAG_EXTENDED |
				       IB_USER_VERBS_CMD_COMMAND_MASK))
		return -EINVAL;
	is_ex = (hdr->command & IB_USER_VERBS_CMD_FLAG_EXTENDED) != 0;
	cmd = hdr->command & IB_USER_VERBS_CMD_COMMAND_MASK;
	/* uverbs_uapi.c uapi_get_method(): unknown methods are -ENOSYS */
	if (is_ex)
		m = cmd < RTE_DIM(kf_ex) ? &kf_ex[cmd] : NULL;
	else
		m = cmd < RTE_DIM(kf_legacy) ? &kf_legacy[cmd] : NULL;
	if (m == NULL || m->fn == NULL) {
		kf_trace(is_ex, cmd, -ENOSYS);
		return -ENOSYS;
	}
	memset(&r, 0, sizeof(r));
	if (is_ex) {
		if (count < sizeof(*hdr) + sizeof(*ex))
			return -EINVAL;
		ex = (const void *)(hdr + 1);
		if ((size_t)(hdr->in_words + ex->provider_in_words) * 8 !=
		    count - sizeof(*hdr) - sizeof(*ex))
			return -EINVAL;
		if ((size_t)hdr->in_words * 8 < m->req_size)
			return -ENOSPC;
		if (ex->cmd_hdr_reserved != 0)
			return -EINVAL;
		if (ex->response != 0) {
			if (hdr->out_words == 0 && ex->provider_out_words == 0)
				return -EINVAL;
			if ((size_t)hdr->out_words * 8 < m->resp_size)
				return -ENOSPC;
		} else if (hdr->out_words != 0 ||
			   ex->provider_out_words != 0) {
			return -EINVAL;
		}
		r.in = (const uint8_t *)(ex + 1);
		r.in_len = (size_t)hdr->in_words * 8;
		r.drv_in = r.in + r.in_len;
		r.drv_in_len = (size_t)ex->provider_in_words * 8;
		r.out = (uint8_t *)(uintptr_t)ex->response;
		r.out_len = (size_t)hdr->out_words * 8;
		r.drv_out = r.out == NULL ? NULL : r.out + r.out_len;
		r.drv_out_len = r.out == NULL ? 0 :
				(size_t)ex->provider_out_words * 8;
	} else {
		if ((size_t)hdr->in_words * 4 != count)
			return -EINVAL;
		if (count < m->req_size + sizeof(*hdr))
			return -ENOSPC;
		r.in = (const uint8_t *)(hdr + 1);
		r.in_len = count - sizeof(*hdr);
		r.out_len = (size_t)hdr->out_words * 4;
		if (m->has_udata) {
			r.drv_in = r.in + m->req_size;
			r.drv_in_len = r.in_len - m->req_size;
			r.in_len = m->req_size;
		}
		if (m->has_resp) {
			memcpy(&r.out, r.in, sizeof(uint64_t));
			/* uverbs_response(): the response must fit */
			if (r.out_len < m->resp_size)
				return -ENOSPC;
			if (m->has_udata) {
				r.drv_out = r.out + m->resp_size;
				r.drv_out_len = r.out_len - m->resp_size;
				r.out_len = m->resp_size;
			}
		} else {
			r.out_len = 0;
		}
	}
	pthread_mutex_lock(&f->lock);
	ret = m->fn(f, &r);
	pthread_mutex_unlock(&f->lock);
	kf_trace(is_ex, cmd, ret);
	return ret != 0 ? ret : (ssize_t)count;
}

void
kf_cmd_release(struct kf_file *f)
{
	pthread_mutex_lock(&f->lock);
	/* the seam's close destroys what is left, in dependency order */
	if (f->ctx != NULL)
		mlx4r_hw_emu_ops.close_device(f->ctx);
	f->ctx = NULL;
	f->cmd_closed = true;
	/* the async file may outlive the command file; it reads nothing then */
	if (f->async_fd < 0) {
		pthread_mutex_unlock(&f->lock);
		pthread_mutex_destroy(&f->lock);
		free(f);
		return;
	}
	pthread_mutex_unlock(&f->lock);
}

void
kf_cmd_async_closed(struct kf_file *f)
{
	pthread_mutex_lock(&f->lock);
	f->async_fd = -1;
	if (f->cmd_closed) {
		pthread_mutex_unlock(&f->lock);
		pthread_mutex_destroy(&f->lock);
		free(f);
		return;
	}
	pthread_mutex_unlock(&f->lock);
}

static uint64_t
kf_event_element(struct kf_file *f, const struct mlx4r_hw_async_event *ev)
{
	uint32_t h;

	switch (ev->event_type) {
	case IBV_EVENT_CQ_ERR:
	case IBV_EVENT_QP_FATAL:
	case IBV_EVENT_QP_REQ_ERR:
	case IBV_EVENT_QP_ACCESS_ERR:
	case IBV_EVENT_COMM_EST:
	case IBV_EVENT_SQ_DRAINED:
	case IBV_EVENT_PATH_MIG:
	case IBV_EVENT_PATH_MIG_ERR:
	case IBV_EVENT_QP_LAST_WQE_REACHED:
	case IBV_EVENT_WQ_FATAL:
		/* the user_handle given at create (uverbs_main.c
		 * ib_uverbs_qp_event_handler() & co) */
		for (h = 1; h < KF_MAX_OBJ; h++)
			if (f->obj[h].kind != KF_OBJ_FREE &&
			    f->obj[h].hw == (void *)ev->element.qp)
				return f->obj[h].user_handle;
		return 0;
	default:
		/* device events: element.port_num (ib_uverbs_event_handler) */
		return (uint64_t)ev->element.port_num;
	}
}

ssize_t
kf_async_read(struct kf_file *f, void *buf, size_t count, bool nonblock)
{
	struct ib_uverbs_async_event_desc desc;
	struct mlx4r_hw_async_event ev;
	struct pollfd pfd;
	int ret;

	/* uverbs_main.c ib_uverbs_event_read(): room for one event */
	if (count < sizeof(desc))
		return -EINVAL;
	for (;;) {
		pthread_mutex_lock(&f->lock);
		if (f->ctx == NULL) {
			pthread_mutex_unlock(&f->lock);
			/* the context is gone: nothing will come (EOF) */
			return 0;
		}
		ret = mlx4r_hw_emu_ops.get_async_event(f->ctx, &ev);
		if (ret == 0) {
			memset(&desc, 0, sizeof(desc));
			desc.element = kf_event_element(f, &ev);
			desc.event_type = (uint32_t)ev.event_type;
			/* the kernel has no acknowledgement: libibverbs
			 * counts them in user space */
			mlx4r_hw_emu_ops.ack_async_event(f->ctx, &ev);
		}
		pthread_mutex_unlock(&f->lock);
		if (ret == 0) {
			memcpy(buf, &desc, sizeof(desc));
			return sizeof(desc);
		}
		if (ret != -EAGAIN)
			return ret;
		if (nonblock)
			return -EAGAIN;
		pfd.fd = f->async_fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -errno;
	}
}
