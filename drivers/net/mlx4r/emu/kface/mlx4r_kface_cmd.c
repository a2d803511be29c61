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
	conf.pro = kf_conf.pro;
	/* PCI device 0x1004: vendor_part_id 4100, the eSwitch's Tx rules */
	conf.vf = kf_conf.vf;
	/*
	 * The ports' MAC addresses, from the firmware on a card (QUERY_PORT
	 * at mlx4_core's init); mlx4_en gives them to its netdevs
	 * (en_netdev.c mlx4_en_init_netdev): the wrapper made the TAP
	 * interfaces with the same ones.
	 */
	for (p = 0; p < conf.nb_ports; p++)
		conf.mac[p] = kf_conf.mac[p];
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
			gen.nb_flows = kf_conf.gen_flows;
			gen.dst_port = kf_conf.gen_dport;
			if (ret == 0)
				ret = mlx4r_emu_gen_start(dev, p, &gen);
		}
	}
	kf_dev = dev;
	kf_init_err = ret;
}

struct mlx4r_emu_dev *
kf_model(void)
{
	return kf_dev;
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

/*
 * DEALLOC_PD, DEREG_MR, DESTROY_CQ, the indirection table's and the
 * flow's destroy: the object of @p handle, of @p kind, given back to the
 * model, then its handle freed. A bad handle is -EINVAL (as
 * kf_obj_get()); a refusal of the model keeps the handle.
 */
static int
kf_obj_destroy(struct kf_file *f, uint32_t handle, enum kf_obj_kind kind)
{
	struct kf_obj *o = kf_obj_get(f, handle, kind);
	int ret;

	if (o == NULL)
		return -EINVAL;
	switch (kind) {
	case KF_OBJ_PD:
		ret = mlx4r_hw_emu_ops.dealloc_pd(o->hw);
		break;
	case KF_OBJ_MR:
		ret = mlx4r_hw_emu_ops.dereg_mr(o->hw);
		break;
	case KF_OBJ_CQ:
		ret = mlx4r_hw_emu_ops.destroy_cq(o->hw);
		break;
	case KF_OBJ_IND:
		ret = mlx4r_hw_emu_ops.destroy_ind_table(o->hw);
		break;
	case KF_OBJ_FLOW:
		ret = mlx4r_hw_emu_ops.destroy_flow(o->hw);
		break;
	default:
		return -EINVAL; /* QP and WQ have their own (device thread) */
	}
	if (ret != 0)
		return ret;
	kf_obj_free(o);
	return 0;
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
	ret = kf_dev_start();
	if (ret != 0) {
		close(afd);
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
		/*
		 * tso_caps: max_gso_sz with RAW_PACKET on an Ethernet port
		 * (mlx4_ib_query_device), none without firmware LSO.
		 */
		if (r->drv_out_len >= sizeof(drv)) {
			drv.tso_caps.max_tso = f->ctx->max_tso;
			drv.tso_caps.supported_qpts = f->ctx->tso_qpts;
			drv.response_length = sizeof(drv);
		}
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

	return kf_obj_destroy(f, cmd->pd_handle, KF_OBJ_PD);
}


/*
 * Memory regions.
 */

static int
kf_reg_mr(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_reg_mr *cmd = (const void *)r->in;
	struct ib_uverbs_reg_mr_resp resp;
	struct kf_obj *pd = kf_obj_get(f, cmd->pd_handle, KF_OBJ_PD);
	long page = sysconf(_SC_PAGESIZE);
	struct mlx4r_hw_mr *mr;
	uint32_t h;
	int ret;

	/* uverbs_cmd.c ib_uverbs_reg_mr(): start and hca_va share their
	 * offset in a page; ib_check_mr_access() */
	if ((cmd->start & (uint64_t)(page - 1)) !=
	    (cmd->hca_va & (uint64_t)(page - 1)))
		return -EINVAL;
	if (pd == NULL)
		return -EINVAL;
	/* in process, the device sees the user's addresses: hca_va == start */
	if (cmd->hca_va != cmd->start)
		return -EOPNOTSUPP;
	ret = mlx4r_hw_emu_ops.reg_mr(pd->hw, (void *)(uintptr_t)cmd->start,
				      cmd->length, cmd->access_flags, &mr);
	if (ret != 0)
		return ret;
	ret = kf_obj_new(f, KF_OBJ_MR, mr, 0, &h);
	if (ret != 0) {
		mlx4r_hw_emu_ops.dereg_mr(mr);
		return ret;
	}
	memset(&resp, 0, sizeof(resp));
	resp.mr_handle = h;
	resp.lkey = mr->lkey;
	resp.rkey = mr->lkey;
	return kf_resp(r, &resp, sizeof(resp));
}

static int
kf_dereg_mr(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_dereg_mr *cmd = (const void *)r->in;

	return kf_obj_destroy(f, cmd->mr_handle, KF_OBJ_MR);
}

/*
 * Completion queues.
 */

/*
 * CREATE_COMP_CHANNEL (uverbs_cmd.c ib_uverbs_create_comp_channel): a new
 * fd, its events read from it (mlx4r_kface_comp.c).
 */
static int
kf_create_comp_channel(struct kf_file *f, struct kf_req *r)
{
	struct ib_uverbs_create_comp_channel_resp resp;
	int fd, ret;

	/* uobj_alloc() needs the context: -EINVAL before GET_CONTEXT */
	if (f->ctx == NULL)
		return -EINVAL;
	ret = kf_comp_create(f, &fd);
	if (ret != 0)
		return ret;
	memset(&resp, 0, sizeof(resp));
	resp.fd = (uint32_t)fd;
	return kf_resp(r, &resp, sizeof(resp));
}

static int
kf_create_cq_common(struct kf_file *f, struct kf_req *r, uint64_t user_handle,
		    uint32_t cqe, int32_t comp_channel, uint32_t comp_vector,
		    uint32_t *handle, uint32_t *granted)
{
	const struct mlx4_ib_create_cq *ucmd = (const void *)r->drv_in;
	struct emu_ctx *ctx = (struct emu_ctx *)f->ctx;
	struct mlx4r_hw_cq *cq;
	uint32_t entries;
	int ret;

	/* uverbs_cmd.c create_cq(): GET_CONTEXT said num_comp_vectors 1,
	 * then the channel (-EBADF), before mlx4_ib sees the CQ */
	if (comp_vector >= 1)
		return -EINVAL;
	if (comp_channel >= 0 && !kf_comp_check(f, comp_channel))
		return -EBADF;
	/* mlx4_ib cq.c mlx4_ib_create_cq(): 1..max_cqes entries, the
	 * driver data (buf_addr, db_addr) from libmlx4 */
	if (cqe < 1 || cqe > (uint32_t)ctx->dev->conf.max_cqe - 1)
		return -EINVAL;
	if (r->drv_in_len < sizeof(*ucmd))
		return -EFAULT;
	if (ucmd->buf_addr == 0 || ucmd->db_addr == 0)
		return -EFAULT;
	entries = rte_align32pow2(cqe + 1);
	/*
	 * mlx4_core cq.c mlx4_cq_alloc() -> mlx4_init_user_cqes(): every
	 * entry 0xcc, "the initialization value required by the FW" (its
	 * owner bit set: hardware-owned for the first pass).
	 */
	memset((void *)(uintptr_t)ucmd->buf_addr, 0xcc,
	       (size_t)entries * ctx->dev->conf.cqe_size);
	ctx->umem.set = true;
	ctx->umem.buf = (uint8_t *)(uintptr_t)ucmd->buf_addr;
	ctx->umem.db = (uint32_t *)(uintptr_t)ucmd->db_addr;
	/* on a channel: an fd of the file's, else -EBADF (create_cq()) */
	if (comp_channel >= 0)
		ret = kf_comp_cq_create(f, comp_channel, cqe, user_handle, &cq);
	else
		ret = mlx4r_hw_emu_ops.create_cq(f->ctx, cqe, &cq);
	memset(&ctx->umem, 0, sizeof(ctx->umem));
	if (ret != 0)
		return ret;
	ret = kf_obj_new(f, KF_OBJ_CQ, cq, user_handle, handle);
	if (ret != 0) {
		uint32_t n;

		if (kf_comp_cq_destroy(cq, &n) == 1)
			mlx4r_hw_emu_ops.destroy_cq(cq);
		return ret;
	}
	*granted = cq->cqe;
	if (r->drv_out_len >= sizeof(struct mlx4_ib_create_cq_resp)) {
		struct mlx4_ib_create_cq_resp drv = { .cqn = cq->cqn };

		memcpy(r->drv_out, &drv, sizeof(drv));
	}
	return 0;
}

static int
kf_create_cq(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_create_cq *cmd = (const void *)r->in;
	struct ib_uverbs_create_cq_resp resp;
	int ret;

	if (f->ctx == NULL)
		return -EINVAL;
	memset(&resp, 0, sizeof(resp));
	ret = kf_create_cq_common(f, r, cmd->user_handle, cmd->cqe,
				  cmd->comp_channel, cmd->comp_vector,
				  &resp.cq_handle, &resp.cqe);
	if (ret != 0)
		return ret;
	return kf_resp(r, &resp, sizeof(resp));
}

static int
kf_ex_create_cq(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_ex_create_cq *cmd = (const void *)r->in;
	struct ib_uverbs_ex_create_cq_resp resp;
	int ret;

	if (f->ctx == NULL)
		return -EINVAL;
	/* uverbs_cmd.c ib_uverbs_ex_create_cq(): comp_mask 0, reserved 0;
	 * mlx4_ib_create_cq(): flags only TIMESTAMP_COMPLETION */
	if (cmd->comp_mask != 0 || cmd->reserved != 0)
		return -EINVAL;
	if (cmd->flags & ~(uint32_t)IB_UVERBS_CQ_FLAGS_TIMESTAMP_COMPLETION)
		return -EINVAL;
	memset(&resp, 0, sizeof(resp));
	ret = kf_create_cq_common(f, r, cmd->user_handle, cmd->cqe,
				  cmd->comp_channel, cmd->comp_vector,
				  &resp.base.cq_handle, &resp.base.cqe);
	if (ret != 0)
		return ret;
	resp.response_length = (uint32_t)RTE_MIN(sizeof(resp), r->out_len);
	return kf_resp(r, &resp, sizeof(resp));
}

static int
kf_destroy_cq(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_destroy_cq *cmd = (const void *)r->in;
	struct ib_uverbs_destroy_cq_resp resp;
	struct kf_obj *o = kf_obj_get(f, cmd->cq_handle, KF_OBJ_CQ);
	uint32_t reported = 0, async_reported;
	int ret;

	if (o == NULL)
		return -EINVAL;
	async_reported = o->events_reported;
	/* a CQ on a channel: the events read from it (comp_events_reported) */
	ret = kf_comp_cq_destroy(o->hw, &reported);
	if (ret == 1)
		ret = kf_obj_destroy(f, cmd->cq_handle, KF_OBJ_CQ);
	else if (ret == 0)
		kf_obj_free(o);
	if (ret != 0)
		return ret;
	memset(&resp, 0, sizeof(resp));
	resp.comp_events_reported = reported;
	resp.async_events_reported = async_reported;
	return kf_resp(r, &resp, sizeof(resp));
}

/*
 * Queue pairs.
 */

/* Copy of the core request of CREATE_QP, legacy or extended. */
struct kf_qp_req {
	uint64_t user_handle;
	uint32_t pd_handle, send_cq_handle, recv_cq_handle, srq_handle;
	uint32_t max_send_wr, max_recv_wr, max_send_sge, max_recv_sge;
	uint32_t max_inline_data;
	uint8_t qp_type, is_srq;
	uint32_t comp_mask, create_flags, rwq_ind_tbl_handle, source_qpn;
};

static int
kf_create_raw_qp(struct kf_file *f, struct kf_req *r,
		 const struct kf_qp_req *q, struct ib_uverbs_create_qp_resp *resp)
{
	const struct mlx4_ib_create_qp *ucmd = (const void *)r->drv_in;
	struct emu_ctx *ctx = (struct emu_ctx *)f->ctx;
	struct kf_obj *pd, *scq, *rcq;
	struct mlx4r_hw_qp_attr attr;
	struct mlx4r_hw_qp *qp;
	uint32_t rq_cnt, rq_gs, rq_shift, h;
	size_t sq_bytes;
	int ret;

	pd = kf_obj_get(f, q->pd_handle, KF_OBJ_PD);
	scq = kf_obj_get(f, q->send_cq_handle, KF_OBJ_CQ);
	rcq = kf_obj_get(f, q->recv_cq_handle, KF_OBJ_CQ);
	if (pd == NULL || scq == NULL || rcq == NULL || q->is_srq)
		return -EINVAL;
	if (r->drv_in_len < offsetof(struct mlx4_ib_create_qp, inl_recv_sz))
		return -EFAULT;
	/*
	 * mlx4_ib qp.c create_qp_common() for a user QP with a receive
	 * queue (no SRQ, no indirection table): set_rq_size() wants at
	 * least one receive WQE of one SGE ("HW requires >= 1 RQ entry
	 * with >= 1 gather entry"; libmlx4 asks one for a RAW_PACKET QP
	 * without receives) and no more than max_wqes - MLX4_IB_SQ_MAX_SPARE
	 * or max_rq_sg; set_user_sq_size() the SQ geometry (checked by the
	 * model, emu_kernel_sq_check()).
	 */
	if (q->max_recv_wr == 0 || q->max_recv_sge == 0 ||
	    q->max_recv_wr > ctx->dev->conf.max_qp_wr - EMU_SQ_MAX_SPARE ||
	    q->max_recv_sge > EMU_MAX_SGE)
		return -EINVAL;
	if (ucmd->buf_addr == 0 || ucmd->db_addr == 0)
		return -EFAULT;
	ret = emu_kernel_sq_check(ctx->dev, ucmd->log_sq_bb_count,
				  ucmd->log_sq_stride, &sq_bytes);
	if (ret != 0)
		return ret;
	rq_cnt = rte_align32pow2(q->max_recv_wr);
	rq_gs = rte_align32pow2(q->max_recv_sge);
	rq_shift = rte_log2_u32(rq_gs * 16);
	memset(&attr, 0, sizeof(attr));
	attr.send_cq = scq->hw;
	/*
	 * A user QP's SQ is what the driver data says (log_sq_bb_count,
	 * log_sq_stride: set_user_sq_size); mlx4_ib does not look at
	 * max_send_wr, and libmlx4 lays out its spare WQEs for none too. A
	 * QP without send WRs is one: upstream net_mlx4's drop QP
	 * (mlx4_flow.c mlx4_drop_get, all caps zero). The model's SQ wants
	 * one WR of one SGE at least; the geometry is the driver data's.
	 */
	attr.cap.max_send_wr = RTE_MAX(q->max_send_wr, 1u);
	attr.cap.max_send_sge = RTE_MAX(q->max_send_sge, 1u);
	/* the engine runs no inline data: refuse it rather than misread it */
	if (q->max_inline_data != 0)
		return -EOPNOTSUPP;
	/*
	 * The larger stride first, as mlx4_ib lays out a QP buffer (qp.c
	 * create_qp_common for kernel QPs; libmlx4 qp.c mlx4_alloc_qp_buf
	 * for user ones, and the hardware agrees).
	 */
	ctx->umem.set = true;
	ctx->umem.buf = (uint8_t *)(uintptr_t)ucmd->buf_addr;
	ctx->umem.db = (uint32_t *)(uintptr_t)ucmd->db_addr;
	ctx->umem.log_bb_count = ucmd->log_sq_bb_count;
	ctx->umem.log_stride = ucmd->log_sq_stride;
	ctx->umem.sq_offset = rq_shift > ucmd->log_sq_stride ?
			      (size_t)rq_cnt << rq_shift : 0;
	ret = mlx4r_hw_emu_ops.create_qp(pd->hw, &attr, &qp);
	memset(&ctx->umem, 0, sizeof(ctx->umem));
	if (ret != 0)
		return ret;
	ret = kf_obj_new(f, KF_OBJ_QP, qp, q->user_handle, &h);
	if (ret != 0) {
		mlx4r_hw_emu_ops.destroy_qp(qp);
		return ret;
	}
	kf_dev_track(qp, NULL);
	memset(resp, 0, sizeof(*resp));
	resp->qp_handle = h;
	resp->qpn = qp->qpn;
	/* a user QP: the caps as asked (set_rq_size "leave userspace
	 * return values as they were") */
	resp->max_send_wr = q->max_send_wr;
	resp->max_send_sge = q->max_send_sge;
	resp->max_recv_wr = rq_cnt;
	resp->max_recv_sge = rq_gs;
	return 0;
}

static int
kf_create_rss_qp(struct kf_file *f, struct kf_req *r,
		 const struct kf_qp_req *q, struct ib_uverbs_create_qp_resp *resp)
{
	const struct mlx4_ib_create_qp_rss *ucmd = (const void *)r->drv_in;
	struct kf_obj *pd, *ind;
	struct ibv_rx_hash_conf conf;
	struct mlx4r_hw_qp *qp;
	uint32_t h;
	int ret;

	pd = kf_obj_get(f, q->pd_handle, KF_OBJ_PD);
	ind = kf_obj_get(f, q->rwq_ind_tbl_handle, KF_OBJ_IND);
	if (pd == NULL || ind == NULL)
		return -EINVAL;
	/*
	 * mlx4_ib qp.c _mlx4_ib_create_qp_rss(): a RAW_PACKET QP, no send
	 * or receive capacity, the driver data complete with comp_mask 0;
	 * create_qp_rss() then checks the hash (the model does it again).
	 */
	if (q->qp_type != IBV_QPT_RAW_PACKET)
		return -EOPNOTSUPP;
	if (q->max_send_wr || q->max_send_sge || q->max_recv_wr ||
	    q->max_recv_sge || q->max_inline_data)
		return -EOPNOTSUPP;
	if (r->drv_in_len < offsetof(struct mlx4_ib_create_qp_rss, reserved1))
		return -EFAULT;
	if (ucmd->comp_mask != 0)
		return -EOPNOTSUPP;
	if (ucmd->rx_hash_function != MLX4_IB_RX_HASH_FUNC_TOEPLITZ)
		return -EOPNOTSUPP;
	memset(&conf, 0, sizeof(conf));
	conf.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ;
	conf.rx_hash_key_len = sizeof(ucmd->rx_hash_key);
	conf.rx_hash_key = (uint8_t *)(uintptr_t)ucmd->rx_hash_key;
	/* the same bits in mlx4-abi.h and verbs.h */
	conf.rx_hash_fields_mask = ucmd->rx_hash_fields_mask;
	ret = mlx4r_hw_emu_ops.create_rss_qp(pd->hw, ind->hw, &conf, &qp);
	if (ret != 0)
		return ret;
	ret = kf_obj_new(f, KF_OBJ_QP, qp, q->user_handle, &h);
	if (ret != 0) {
		mlx4r_hw_emu_ops.destroy_qp(qp);
		return ret;
	}
	memset(resp, 0, sizeof(*resp));
	resp->qp_handle = h;
	resp->qpn = qp->qpn;
	return 0;
}

static int
kf_create_qp_common(struct kf_file *f, struct kf_req *r,
		    const struct kf_qp_req *q,
		    struct ib_uverbs_create_qp_resp *resp)
{
	if (f->ctx == NULL)
		return -EINVAL;
	/* the model is an Ethernet function: RAW_PACKET QPs only */
	if (q->qp_type != IBV_QPT_RAW_PACKET)
		return -EOPNOTSUPP;
	if (q->create_flags != 0)
		return -EOPNOTSUPP;
	if (q->comp_mask & IB_UVERBS_CREATE_QP_MASK_IND_TABLE)
		return kf_create_rss_qp(f, r, q, resp);
	return kf_create_raw_qp(f, r, q, resp);
}

static int
kf_create_qp(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_create_qp *cmd = (const void *)r->in;
	struct ib_uverbs_create_qp_resp resp;
	struct kf_qp_req q;
	int ret;

	memset(&q, 0, sizeof(q));
	q.user_handle = cmd->user_handle;
	q.pd_handle = cmd->pd_handle;
	q.send_cq_handle = cmd->send_cq_handle;
	q.recv_cq_handle = cmd->recv_cq_handle;
	q.srq_handle = cmd->srq_handle;
	q.max_send_wr = cmd->max_send_wr;
	q.max_recv_wr = cmd->max_recv_wr;
	q.max_send_sge = cmd->max_send_sge;
	q.max_recv_sge = cmd->max_recv_sge;
	q.max_inline_data = cmd->max_inline_data;
	q.qp_type = cmd->qp_type;
	q.is_srq = cmd->is_srq;
	ret = kf_create_qp_common(f, r, &q, &resp);
	if (ret != 0)
		return ret;
	return kf_resp(r, &resp, sizeof(resp));
}

static int
kf_ex_create_qp(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_ex_create_qp *cmd = (const void *)r->in;
	struct ib_uverbs_ex_create_qp_resp resp;
	struct kf_qp_req q;
	int ret;

	/* uverbs_cmd.c ib_uverbs_ex_create_qp(): known comp_mask bits */
	if (cmd->comp_mask & ~(uint32_t)IB_UVERBS_CREATE_QP_SUP_COMP_MASK)
		return -EINVAL;
	memset(&q, 0, sizeof(q));
	q.user_handle = cmd->user_handle;
	q.pd_handle = cmd->pd_handle;
	q.send_cq_handle = cmd->send_cq_handle;
	q.recv_cq_handle = cmd->recv_cq_handle;
	q.srq_handle = cmd->srq_handle;
	q.max_send_wr = cmd->max_send_wr;
	q.max_recv_wr = cmd->max_recv_wr;
	q.max_send_sge = cmd->max_send_sge;
	q.max_recv_sge = cmd->max_recv_sge;
	q.max_inline_data = cmd->max_inline_data;
	q.qp_type = cmd->qp_type;
	q.is_srq = cmd->is_srq;
	q.comp_mask = cmd->comp_mask;
	q.create_flags = cmd->create_flags;
	q.rwq_ind_tbl_handle = cmd->rwq_ind_tbl_handle;
	q.source_qpn = cmd->source_qpn;
	memset(&resp, 0, sizeof(resp));
	ret = kf_create_qp_common(f, r, &q, &resp.base);
	if (ret != 0)
		return ret;
	resp.response_length = (uint32_t)RTE_MIN(sizeof(resp), r->out_len);
	return kf_resp(r, &resp, sizeof(resp));
}

static int
kf_modify_qp(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_modify_qp *cmd = (const void *)r->in;
	struct kf_obj *o = kf_obj_get(f, cmd->qp_handle, KF_OBJ_QP);
	struct ibv_qp_attr attr;
	int ret;

	if (o == NULL)
		return -EINVAL;
	/* uverbs_cmd.c modify_qp(): a port number must be valid */
	if ((cmd->attr_mask & IBV_QP_PORT) &&
	    (cmd->port_num < 1 || cmd->port_num > f->ctx->nb_ports))
		return -EINVAL;
	if ((cmd->attr_mask & IBV_QP_CUR_STATE) &&
	    cmd->cur_qp_state > IBV_QPS_ERR)
		return -EINVAL;
	if ((cmd->attr_mask & IBV_QP_STATE) && cmd->qp_state > IBV_QPS_ERR)
		return -EINVAL;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = cmd->qp_state;
	attr.cur_qp_state = cmd->cur_qp_state;
	attr.port_num = cmd->port_num;
	attr.qkey = cmd->qkey;
	attr.qp_access_flags = cmd->qp_access_flags;
	attr.pkey_index = cmd->pkey_index;
	kf_dev_lock();
	ret = mlx4r_hw_emu_ops.modify_qp(o->hw, &attr, (int)cmd->attr_mask);
	kf_dev_unlock();
	return ret;
}

/*
 * QUERY_QP (uverbs_cmd.c ib_uverbs_query_qp(); mlx4_ib_query_qp() asks the
 * firmware for the state): the state, which the device moves to error by
 * itself; libmlx4 (mlx4_query_qp()) fills the capabilities from its own
 * copy, so they are left 0 here, as the other attributes of a raw packet
 * QP (no address vector, no PSNs) are.
 */
static int
kf_query_qp(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_query_qp *cmd = (const void *)r->in;
	struct kf_obj *o = kf_obj_get(f, cmd->qp_handle, KF_OBJ_QP);
	struct ib_uverbs_query_qp_resp resp;
	enum ibv_qp_state st;
	int ret;

	if (o == NULL)
		return -EINVAL;
	kf_dev_lock();
	ret = mlx4r_hw_emu_ops.query_qp_state(o->hw, &st);
	kf_dev_unlock();
	if (ret != 0)
		return ret;
	memset(&resp, 0, sizeof(resp));
	resp.qp_state = (uint8_t)st;
	resp.cur_qp_state = (uint8_t)st;
	return kf_resp(r, &resp, sizeof(resp));
}

static int
kf_destroy_qp(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_destroy_qp *cmd = (const void *)r->in;
	struct kf_obj *o = kf_obj_get(f, cmd->qp_handle, KF_OBJ_QP);
	struct ib_uverbs_destroy_qp_resp resp;
	uint32_t reported;
	int ret;

	if (o == NULL)
		return -EINVAL;
	reported = o->events_reported;
	kf_dev_untrack(o->hw);
	ret = mlx4r_hw_emu_ops.destroy_qp(o->hw);
	if (ret != 0) {
		if (((struct mlx4r_hw_qp *)o->hw)->kind == MLX4R_HW_QP_RAW_TX)
			kf_dev_track(o->hw, NULL);
		return ret;
	}
	kf_obj_free(o);
	memset(&resp, 0, sizeof(resp));
	resp.events_reported = reported;
	return kf_resp(r, &resp, sizeof(resp));
}

/*
 * Receive work queues and indirection tables.
 */

static int
kf_ex_create_wq(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_ex_create_wq *cmd = (const void *)r->in;
	const struct mlx4_ib_create_wq *ucmd = (const void *)r->drv_in;
	struct ib_uverbs_ex_create_wq_resp resp;
	struct emu_ctx *ctx = (struct emu_ctx *)f->ctx;
	struct mlx4r_hw_wq_attr attr;
	struct kf_obj *pd, *cq;
	struct mlx4r_hw_wq *wq;
	uint32_t h, rq_shift;
	int ret;

	if (f->ctx == NULL)
		return -EINVAL;
	pd = kf_obj_get(f, cmd->pd_handle, KF_OBJ_PD);
	cq = kf_obj_get(f, cmd->cq_handle, KF_OBJ_CQ);
	if (pd == NULL || cq == NULL)
		return -EINVAL;
	/* uverbs_cmd.c ib_uverbs_ex_create_wq(): comp_mask 0 */
	if (cmd->comp_mask != 0)
		return -EOPNOTSUPP;
	/* mlx4_ib qp.c mlx4_ib_create_wq(): RQs, known flags, the driver
	 * data with comp_mask 0 and a range no larger than the RSS table */
	if (cmd->wq_type != IBV_WQT_RQ)
		return -EOPNOTSUPP;
	if (cmd->create_flags & ~(uint32_t)IBV_WQ_FLAGS_SCATTER_FCS)
		return -EOPNOTSUPP;
	if (r->drv_in_len < offsetof(struct mlx4_ib_create_wq, comp_mask) +
			    sizeof(ucmd->comp_mask))
		return -EFAULT;
	if (ucmd->comp_mask != 0)
		return -EOPNOTSUPP;
	if (ucmd->buf_addr == 0 || ucmd->db_addr == 0)
		return -EFAULT;
	ret = mlx4r_hw_emu_ops.set_rss_range(f->ctx, ucmd->log_range_size);
	if (ret != 0)
		return ret;
	memset(&attr, 0, sizeof(attr));
	attr.cq = cq->hw;
	attr.max_wr = cmd->max_wr;
	attr.max_sge = cmd->max_sge;
	/* SCATTER_FCS: the model keeps the FCS in the frame (its rule) */
	attr.create_flags = cmd->create_flags;
	/*
	 * mlx4_ib qp.c create_rq(): a WQ is a QP with a dummy SQ of one
	 * 64-byte WQE (sq.wqe_cnt = 1, MLX4_IB_MIN_SQ_STRIDE), and the
	 * larger stride comes first in the buffer (libmlx4 qp.c
	 * mlx4_alloc_qp_buf()): the RQ starts after the SQ unless its WQEs
	 * are larger than 64 bytes.
	 */
	rq_shift = rte_log2_u32(rte_align32pow2(RTE_MAX(cmd->max_sge, 1u)) * 16);
	ctx->umem.set = true;
	ctx->umem.buf = (uint8_t *)(uintptr_t)ucmd->buf_addr +
			(rq_shift > EMU_SQ_MIN_STRIDE ? 0 : 1u << EMU_SQ_MIN_STRIDE);
	ctx->umem.db = (uint32_t *)(uintptr_t)ucmd->db_addr;
	ret = mlx4r_hw_emu_ops.create_wq(pd->hw, &attr, &wq);
	memset(&ctx->umem, 0, sizeof(ctx->umem));
	if (ret != 0)
		return ret;
	ret = kf_obj_new(f, KF_OBJ_WQ, wq, cmd->user_handle, &h);
	if (ret != 0) {
		mlx4r_hw_emu_ops.destroy_wq(wq);
		return ret;
	}
	kf_dev_track(NULL, wq);
	memset(&resp, 0, sizeof(resp));
	resp.wq_handle = h;
	resp.max_wr = attr.max_wr;
	resp.max_sge = attr.max_sge;
	resp.wqn = wq->wq_num;
	resp.response_length = (uint32_t)RTE_MIN(sizeof(resp), r->out_len);
	return kf_resp(r, &resp, sizeof(resp));
}

static int
kf_ex_modify_wq(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_ex_modify_wq *cmd = (const void *)r->in;
	struct kf_obj *o = kf_obj_get(f, cmd->wq_handle, KF_OBJ_WQ);
	struct mlx4r_hw_wq *wq;
	int ret;

	if (o == NULL)
		return -EINVAL;
	wq = o->hw;
	/* uverbs_cmd.c ib_uverbs_ex_modify_wq(): known attributes; mlx4_ib
	 * mlx4_ib_modify_wq(): the current state, if given, must be it */
	if (cmd->attr_mask & ~(uint32_t)(IBV_WQ_ATTR_STATE |
					 IBV_WQ_ATTR_CURR_STATE |
					 IBV_WQ_ATTR_FLAGS))
		return -EINVAL;
	if ((cmd->attr_mask & IBV_WQ_ATTR_FLAGS) && cmd->flags_mask != 0)
		return -EOPNOTSUPP;
	if ((cmd->attr_mask & IBV_WQ_ATTR_CURR_STATE) &&
	    cmd->curr_wq_state != (uint32_t)wq->state)
		return -EINVAL;
	if (!(cmd->attr_mask & IBV_WQ_ATTR_STATE))
		return 0;
	if (cmd->wq_state > IBV_WQS_ERR)
		return -EINVAL;
	kf_dev_lock();
	ret = mlx4r_hw_emu_ops.modify_wq(wq, (enum ibv_wq_state)cmd->wq_state);
	kf_dev_unlock();
	return ret;
}

static int
kf_ex_destroy_wq(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_ex_destroy_wq *cmd = (const void *)r->in;
	struct kf_obj *o = kf_obj_get(f, cmd->wq_handle, KF_OBJ_WQ);
	struct ib_uverbs_ex_destroy_wq_resp resp;
	uint32_t reported;
	int ret;

	if (cmd->comp_mask != 0)
		return -EINVAL;
	if (o == NULL)
		return -EINVAL;
	reported = o->events_reported;
	kf_dev_untrack(o->hw);
	ret = mlx4r_hw_emu_ops.destroy_wq(o->hw);
	if (ret != 0) {
		kf_dev_track(NULL, o->hw);
		return ret;
	}
	kf_obj_free(o);
	memset(&resp, 0, sizeof(resp));
	resp.events_reported = reported;
	resp.response_length = (uint32_t)RTE_MIN(sizeof(resp), r->out_len);
	return kf_resp(r, &resp, sizeof(resp));
}

static int
kf_ex_create_ind(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_ex_create_rwq_ind_table *cmd = (const void *)r->in;
	struct ib_uverbs_ex_create_rwq_ind_table_resp resp;
	struct mlx4r_hw_wq *wqs[1u << IB_USER_VERBS_MAX_LOG_IND_TBL_SIZE];
	struct mlx4r_hw_ind_table *ind;
	struct kf_obj *o;
	uint32_t i, n, h;
	int ret;

	if (f->ctx == NULL)
		return -EINVAL;
	/* uverbs_cmd.c ib_uverbs_ex_create_rwq_ind_table(): comp_mask 0,
	 * log size up to IB_USER_VERBS_MAX_LOG_IND_TBL_SIZE, the handles
	 * in the request (padded to 8 bytes when there is one) */
	if (cmd->comp_mask != 0)
		return -EOPNOTSUPP;
	if (cmd->log_ind_tbl_size > IB_USER_VERBS_MAX_LOG_IND_TBL_SIZE)
		return -EINVAL;
	n = 1u << cmd->log_ind_tbl_size;
	if (r->in_len < sizeof(*cmd) + RTE_MAX(n, 2u) * sizeof(uint32_t))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		o = kf_obj_get(f, cmd->wq_handles[i], KF_OBJ_WQ);
		if (o == NULL)
			return -EINVAL;
		wqs[i] = o->hw;
	}
	ret = mlx4r_hw_emu_ops.create_ind_table(f->ctx, cmd->log_ind_tbl_size,
						wqs, &ind);
	if (ret != 0)
		return ret;
	ret = kf_obj_new(f, KF_OBJ_IND, ind, 0, &h);
	if (ret != 0) {
		mlx4r_hw_emu_ops.destroy_ind_table(ind);
		return ret;
	}
	memset(&resp, 0, sizeof(resp));
	resp.ind_tbl_handle = h;
	resp.ind_tbl_num = ind->ind_tbl_num;
	resp.response_length = (uint32_t)RTE_MIN(sizeof(resp), r->out_len);
	return kf_resp(r, &resp, sizeof(resp));
}

static int
kf_ex_destroy_ind(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_ex_destroy_rwq_ind_table *cmd = (const void *)r->in;

	if (cmd->comp_mask != 0)
		return -EINVAL;
	return kf_obj_destroy(f, cmd->ind_tbl_handle, KF_OBJ_IND);
}

/*
 * Steering rules.
 */

static int
kf_ex_create_flow(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_create_flow *cmd = (const void *)r->in;
	const struct ib_uverbs_flow_attr *fa = &cmd->flow_attr;
	struct ib_uverbs_create_flow_resp resp;
	union {
		struct ibv_flow_attr attr;
		uint8_t raw[512];
	} buf;
	const uint8_t *spec, *end;
	struct mlx4r_hw_flow *flow;
	struct kf_obj *qp;
	uint8_t *out;
	uint32_t i, h;
	int ret;

	if (f->ctx == NULL)
		return -EINVAL;
	/*
	 * uverbs_cmd.c ib_uverbs_ex_create_flow(): comp_mask 0, CAP_NET_RAW
	 * (the wrapper runs as root), known flags, a size that holds the
	 * specs it says, a QP of the file.
	 */
	if (r->in_len < sizeof(*cmd))
		return -EINVAL;
	if (cmd->comp_mask != 0)
		return -EINVAL;
	if (fa->flags & ~(uint32_t)(IBV_FLOW_ATTR_FLAGS_DONT_TRAP |
				    IBV_FLOW_ATTR_FLAGS_EGRESS))
		return -EINVAL;
	/* flow_attr.size: the bytes of the specs that follow it */
	if (fa->size > r->in_len - sizeof(*cmd))
		return -EINVAL;
	qp = kf_obj_get(f, cmd->qp_handle, KF_OBJ_QP);
	if (qp == NULL)
		return -EINVAL;
	memset(&buf, 0, sizeof(buf));
	buf.attr.type = fa->type;
	buf.attr.priority = fa->priority;
	buf.attr.num_of_specs = fa->num_of_specs;
	buf.attr.port = fa->port;
	buf.attr.flags = fa->flags;
	out = buf.raw + sizeof(buf.attr);
	spec = (const uint8_t *)fa->flow_specs;
	end = spec + fa->size;
	/* kern_spec_to_ib_spec(): each spec back to its verbs layout */
	for (i = 0; i < fa->num_of_specs; i++) {
		const struct ib_uverbs_flow_spec_hdr *hd = (const void *)spec;
		size_t fl, kfl, vsize, voff;
		uint16_t vsize16;

		if (spec + sizeof(*hd) > end || hd->size < sizeof(*hd) ||
		    spec + hd->size > end || hd->reserved != 0)
			return -EINVAL;
		switch (hd->type & ~(uint32_t)IBV_FLOW_SPEC_INNER) {
		case IBV_FLOW_SPEC_ETH:
			fl = sizeof(struct ibv_flow_eth_filter);
			vsize = sizeof(struct ibv_flow_spec_eth);
			voff = offsetof(struct ibv_flow_spec_eth, val);
			break;
		case IBV_FLOW_SPEC_IPV4:
			fl = sizeof(struct ibv_flow_ipv4_filter);
			vsize = sizeof(struct ibv_flow_spec_ipv4);
			voff = offsetof(struct ibv_flow_spec_ipv4, val);
			break;
		case IBV_FLOW_SPEC_TCP:
		case IBV_FLOW_SPEC_UDP:
			fl = sizeof(struct ibv_flow_tcp_udp_filter);
			vsize = sizeof(struct ibv_flow_spec_tcp_udp);
			voff = offsetof(struct ibv_flow_spec_tcp_udp, val);
			break;
		default:
			/*
			 * -EINVAL both for what uverbs does not know
			 * (uverbs_cmd.c ib_uverbs_kern_spec_to_ib_spec_filter)
			 * and for what it knows but mlx4_ib does not parse
			 * (IPv6, tunnels: main.c parse_flow_attr, then
			 * __mlx4_ib_create_flow).
			 */
			return -EINVAL;
		}
		/*
		 * uverbs_cmd.c kern_spec_to_ib_spec_filter(): the value and
		 * the mask take half of what follows the header each; bytes
		 * beyond the filter the kernel knows must be zero (else
		 * -EOPNOTSUPP); a shorter filter is not taken here.
		 */
		kfl = (hd->size - sizeof(*hd)) / 2;
		if (kfl < fl || (hd->size - sizeof(*hd)) % 2 != 0)
			return -EINVAL;
		if (kfl > fl) {
			const uint8_t *x = spec + sizeof(*hd);
			size_t k;

			for (k = fl; k < kfl; k++)
				if (x[k] != 0 || x[kfl + k] != 0)
					return -EOPNOTSUPP;
		}
		if (out + vsize > buf.raw + sizeof(buf.raw))
			return -EINVAL;
		vsize16 = (uint16_t)vsize;
		memcpy(out, &hd->type, sizeof(uint32_t));
		memcpy(out + 4, &vsize16, sizeof(uint16_t));
		memcpy(out + voff, spec + sizeof(*hd), fl);
		memcpy(out + voff + fl, spec + sizeof(*hd) + kfl, fl);
		out += vsize;
		spec += hd->size;
	}
	/* every byte of size in a spec, as many specs as it says */
	if (spec != end)
		return -EINVAL;
	buf.attr.size = (uint16_t)(out - buf.raw);
	/* a VF's rule goes through the PF's resource tracker */
	if (kf_vf()) {
		ret = kf_vf_flow_check(&buf.attr, sizeof(buf.raw));
		if (ret != 0)
			return ret;
	}
	ret = mlx4r_hw_emu_ops.create_flow(qp->hw, &buf.attr, &flow);
	if (ret != 0)
		return ret;
	ret = kf_obj_new(f, KF_OBJ_FLOW, flow, 0, &h);
	if (ret != 0) {
		mlx4r_hw_emu_ops.destroy_flow(flow);
		return ret;
	}
	memset(&resp, 0, sizeof(resp));
	resp.flow_handle = h;
	return kf_resp(r, &resp, sizeof(resp));
}

static int
kf_ex_destroy_flow(struct kf_file *f, struct kf_req *r)
{
	const struct ib_uverbs_destroy_flow *cmd = (const void *)r->in;

	if (cmd->comp_mask != 0)
		return -EINVAL;
	return kf_obj_destroy(f, cmd->flow_handle, KF_OBJ_FLOW);
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
	[IB_USER_VERBS_CMD_REG_MR] = KF_M(kf_reg_mr,
		sizeof(struct ib_uverbs_reg_mr),
		sizeof(struct ib_uverbs_reg_mr_resp), true, true),
	[IB_USER_VERBS_CMD_DEREG_MR] = KF_M(kf_dereg_mr,
		sizeof(struct ib_uverbs_dereg_mr), 0, false, false),
	[IB_USER_VERBS_CMD_CREATE_COMP_CHANNEL] = KF_M(kf_create_comp_channel,
		sizeof(struct ib_uverbs_create_comp_channel),
		sizeof(struct ib_uverbs_create_comp_channel_resp), true, false),
	[IB_USER_VERBS_CMD_CREATE_CQ] = KF_M(kf_create_cq,
		sizeof(struct ib_uverbs_create_cq),
		sizeof(struct ib_uverbs_create_cq_resp), true, true),
	[IB_USER_VERBS_CMD_DESTROY_CQ] = KF_M(kf_destroy_cq,
		sizeof(struct ib_uverbs_destroy_cq),
		sizeof(struct ib_uverbs_destroy_cq_resp), true, false),
	[IB_USER_VERBS_CMD_CREATE_QP] = KF_M(kf_create_qp,
		sizeof(struct ib_uverbs_create_qp),
		sizeof(struct ib_uverbs_create_qp_resp), true, true),
	[IB_USER_VERBS_CMD_QUERY_QP] = KF_M(kf_query_qp,
		sizeof(struct ib_uverbs_query_qp),
		sizeof(struct ib_uverbs_query_qp_resp), true, true),
	[IB_USER_VERBS_CMD_MODIFY_QP] = KF_M(kf_modify_qp,
		sizeof(struct ib_uverbs_modify_qp), 0, false, true),
	[IB_USER_VERBS_CMD_DESTROY_QP] = KF_M(kf_destroy_qp,
		sizeof(struct ib_uverbs_destroy_qp),
		sizeof(struct ib_uverbs_destroy_qp_resp), true, false),
};

static const struct kf_method kf_ex[IB_USER_VERBS_EX_CMD_MODIFY_CQ + 1] = {
	[IB_USER_VERBS_EX_CMD_QUERY_DEVICE] = KF_M(kf_ex_query_device,
		sizeof(struct ib_uverbs_ex_query_device),
		offsetof(struct ib_uverbs_ex_query_device_resp, comp_mask) +
		2 * sizeof(uint32_t), false, true),
	[IB_USER_VERBS_EX_CMD_CREATE_CQ] = KF_M(kf_ex_create_cq,
		sizeof(struct ib_uverbs_ex_create_cq),
		sizeof(struct ib_uverbs_ex_create_cq_resp), false, true),
	[IB_USER_VERBS_EX_CMD_CREATE_QP] = KF_M(kf_ex_create_qp,
		sizeof(struct ib_uverbs_ex_create_qp),
		sizeof(struct ib_uverbs_ex_create_qp_resp), false, true),
	[IB_USER_VERBS_EX_CMD_CREATE_FLOW] = KF_M(kf_ex_create_flow,
		sizeof(struct ib_uverbs_create_flow),
		sizeof(struct ib_uverbs_create_flow_resp), false, true),
	[IB_USER_VERBS_EX_CMD_DESTROY_FLOW] = KF_M(kf_ex_destroy_flow,
		sizeof(struct ib_uverbs_destroy_flow), 0, false, true),
	[IB_USER_VERBS_EX_CMD_CREATE_WQ] = KF_M(kf_ex_create_wq,
		sizeof(struct ib_uverbs_ex_create_wq),
		sizeof(struct ib_uverbs_ex_create_wq_resp), false, true),
	[IB_USER_VERBS_EX_CMD_MODIFY_WQ] = KF_M(kf_ex_modify_wq,
		sizeof(struct ib_uverbs_ex_modify_wq), 0, false, true),
	[IB_USER_VERBS_EX_CMD_DESTROY_WQ] = KF_M(kf_ex_destroy_wq,
		sizeof(struct ib_uverbs_ex_destroy_wq),
		sizeof(struct ib_uverbs_ex_destroy_wq_resp), false, true),
	[IB_USER_VERBS_EX_CMD_CREATE_RWQ_IND_TBL] = KF_M(kf_ex_create_ind,
		sizeof(struct ib_uverbs_ex_create_rwq_ind_table),
		sizeof(struct ib_uverbs_ex_create_rwq_ind_table_resp) - 8,
		false, true),
	[IB_USER_VERBS_EX_CMD_DESTROY_RWQ_IND_TBL] = KF_M(kf_ex_destroy_ind,
		sizeof(struct ib_uverbs_ex_destroy_rwq_ind_table), 0, false,
		true),
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
	uint32_t h;

	/* its channels read -EIO from now on (before f->lock: lock order) */
	kf_comp_release(f);
	pthread_mutex_lock(&f->lock);
	for (h = 1; h < KF_MAX_OBJ; h++)
		if (f->obj[h].kind == KF_OBJ_QP || f->obj[h].kind == KF_OBJ_WQ)
			kf_dev_untrack(f->obj[h].hw);
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

	switch (mlx4r_hw_event_elem(ev->event_type)) {
	case MLX4R_HW_EV_QP:
	case MLX4R_HW_EV_CQ:
	case MLX4R_HW_EV_WQ:
		/* the user_handle given at create (uverbs_main.c
		 * ib_uverbs_qp_event_handler() & co) */
		for (h = 1; h < KF_MAX_OBJ; h++)
			if (f->obj[h].kind != KF_OBJ_FREE &&
			    f->obj[h].hw == (void *)ev->element.qp) {
				f->obj[h].events_reported++;
				return f->obj[h].user_handle;
			}
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
