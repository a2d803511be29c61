/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_atomic.h>
#include <rte_byteorder.h>
#include <rte_io.h>
#include <rte_ip.h>

#include "test_emu_util.h"

const uint8_t temu_rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

int
temu_env_init(struct temu_env *e, const char *name,
	      const struct mlx4r_emu_dev_conf *conf)
{
	const struct mlx4r_hw_ops *ops = mlx4r_hw_backend("emu");
	int ret;

	memset(e, 0, sizeof(*e));
	e->name = name;
	mlx4r_emu_dev_destroy(name);
	ret = mlx4r_emu_dev_create(name, conf);
	if (ret != 0)
		return ret;
	e->dev = mlx4r_emu_dev_lookup(name);
	/* the driver's part: mlx4_en's interfaces up (before any context) */
	mlx4r_emu_netdev_set_up(e->dev, 1, true);
	mlx4r_emu_netdev_set_up(e->dev, 2, true);
	ret = mlx4r_hw_open_device(ops, name, &e->ctx);
	if (ret != 0)
		return ret;
	ret = mlx4r_hw_alloc_pd(e->ctx, &e->pd);
	if (ret != 0)
		return ret;
	e->buf = aligned_alloc(4096, TEMU_BUF_SIZE);
	if (e->buf == NULL)
		return -ENOMEM;
	memset(e->buf, 0, TEMU_BUF_SIZE);
	return mlx4r_hw_reg_mr(e->pd, e->buf, TEMU_BUF_SIZE,
			       IBV_ACCESS_LOCAL_WRITE, &e->mr);
}

void
temu_env_fini(struct temu_env *e)
{
	if (e->ctx != NULL)
		mlx4r_hw_close_device(e->ctx);
	free(e->buf);
	if (e->name != NULL)
		mlx4r_emu_dev_destroy(e->name);
	memset(e, 0, sizeof(*e));
}

int
temu_txq_create(struct temu_env *e, uint8_t port, uint32_t nb_wr,
		struct temu_txq *t)
{
	struct mlx4r_hw_qp_attr qa;
	struct ibv_qp_attr a;
	int ret;

	memset(t, 0, sizeof(*t));
	ret = mlx4r_hw_create_cq(e->ctx, nb_wr, &t->cq);
	if (ret != 0)
		return ret;
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = t->cq;
	qa.cap.max_send_wr = nb_wr;
	qa.cap.max_send_sge = 1;
	ret = mlx4r_hw_create_qp(e->pd, &qa, &t->qp);
	if (ret != 0)
		return ret;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_INIT;
	a.port_num = port;
	ret = mlx4r_hw_modify_qp(t->qp, &a, IBV_QP_STATE | IBV_QP_PORT);
	if (ret != 0)
		return ret;
	a.qp_state = IBV_QPS_RTR;
	ret = mlx4r_hw_modify_qp(t->qp, &a, IBV_QP_STATE);
	if (ret != 0)
		return ret;
	a.qp_state = IBV_QPS_RTS;
	ret = mlx4r_hw_modify_qp(t->qp, &a, IBV_QP_STATE);
	if (ret != 0)
		return ret;
	ret = mlx4r_hw_qp_view(t->qp, &t->dv, &t->hook);
	if (ret != 0)
		return ret;
	ret = mlx4r_hw_cq_view(t->cq, &t->cdv);
	t->sq = (uint8_t *)t->dv.buf.buf + t->dv.sq.offset;
	t->txbbs = t->dv.sq.wqe_cnt;
	/* the helpers write WQEs of 64-byte TXBBs */
	if (ret == 0 && t->dv.sq.wqe_shift != 6)
		ret = -EINVAL;
	return ret;
}

void
temu_txq_destroy(struct temu_txq *t)
{
	if (t->qp != NULL)
		mlx4r_hw_destroy_qp(t->qp);
	if (t->cq != NULL)
		mlx4r_hw_destroy_cq(t->cq);
	memset(t, 0, sizeof(*t));
}

uint32_t
temu_tx_post_wqe(struct temu_txq *t, const struct temu_wqe *w)
{
	const uint32_t size = t->txbbs * 64;
	uint32_t idx = t->head, base = (idx & (t->txbbs - 1)) * 64;
	struct mlx4_wqe_ctrl_seg *ctrl = (void *)(t->sq + base);
	uint32_t ds = w->ds != 0 ? w->ds : 1 + w->n;
	union {
		uint32_t flags;
		uint16_t flags16[2];
	} srcrb;
	uint32_t owner, i;

	for (i = 0; i < w->n; i++) {
		struct mlx4_wqe_data_seg *s = (void *)(t->sq +
			((base + (i + 1) * 16) & (size - 1)));

		s->addr = rte_cpu_to_be_64((uintptr_t)w->segs[i].addr);
		s->lkey = rte_cpu_to_be_32(w->segs[i].lkey);
		s->byte_count = rte_cpu_to_be_32(w->segs[i].len);
	}
	ctrl->bf_qpn = rte_cpu_to_be_32((uint32_t)w->vlan_tag << 16 |
					(uint32_t)w->ins_vlan << 8 |
					(ds & 0x3f));
	srcrb.flags = rte_cpu_to_be_32(w->flags);
	ctrl->imm = 0;
	if (w->dmac != NULL) {
		memcpy(&srcrb.flags16[0], w->dmac, 2);
		memcpy(&ctrl->imm, w->dmac + 2, 4);
	}
	ctrl->srcrb_flags = srcrb.flags;
	owner = (idx & t->txbbs) ? MLX4R_WQE_OWNER_BIT : 0;
	if (w->owner_flip)
		owner ^= MLX4R_WQE_OWNER_BIT;
	/* The device may start on the WQE as soon as the owner is valid. */
	rte_io_wmb();
	ctrl->owner_opcode = rte_cpu_to_be_32(w->opcode | owner);
	t->head += (ds * 16 + 63) / 64;
	return idx;
}

uint32_t
temu_tx_post_raw(struct temu_txq *t, uint32_t opcode,
		 const struct temu_seg *segs, unsigned int n, uint32_t flags,
		 uint32_t ds_override, bool owner_flip)
{
	struct temu_wqe w = {
		.opcode = opcode,
		.segs = segs,
		.n = n,
		.flags = flags | MLX4_WQE_CTRL_SOLICIT,
		.ds = ds_override,
		.owner_flip = owner_flip,
	};

	return temu_tx_post_wqe(t, &w);
}

uint32_t
temu_tx_post(struct temu_txq *t, const void *frame, uint32_t len,
	     uint32_t lkey, uint32_t flags)
{
	struct temu_seg s = { frame, len, lkey };

	return temu_tx_post_raw(t, MLX4_OPCODE_SEND, &s, 1, flags, 0, false);
}

void
temu_tx_doorbell(struct temu_txq *t)
{
	rte_wmb();
	rte_write32(t->dv.doorbell_qpn, t->dv.sdb);
	mlx4r_hw_hook_call(&t->hook);
}

void
temu_tx_reclaim(struct temu_txq *t)
{
	for (; t->tail != t->head; t->tail++) {
		uint32_t *w = (void *)(t->sq + (t->tail & (t->txbbs - 1)) * 64);
		/* Invalid for the next pass over this TXBB. */
		uint32_t owner = (t->tail & t->txbbs) ? MLX4R_WQE_OWNER_BIT : 0;

		*w = rte_cpu_to_be_32(MLX4R_TXBB_STAMP | owner);
	}
}

bool
temu_cq_poll(struct mlx4dv_cq *cdv, uint32_t *ci, struct mlx4_cqe *out)
{
	uint8_t *buf = cdv->buf.buf;
	struct mlx4_cqe *cqe = (void *)(buf +
		(size_t)(*ci & (cdv->cqe_cnt - 1)) * cdv->cqe_size +
		(cdv->cqe_size - 32));
	uint8_t own = __atomic_load_n(&cqe->owner_sr_opcode, __ATOMIC_ACQUIRE);

	if (!!(own & MLX4_CQE_OWNER_MASK) != !!(*ci & cdv->cqe_cnt))
		return false;
	rte_io_rmb();
	memcpy(out, cqe, sizeof(*out));
	(*ci)++;
	/* Done reading: hand the entry back. */
	__atomic_store_n(cdv->set_ci_db,
			 rte_cpu_to_be_32(*ci & MLX4R_CQ_DB_CI_MASK),
			 __ATOMIC_RELEASE);
	return true;
}

int
temu_rxq_create(struct temu_env *e, uint32_t cnt, uint32_t sges,
		uint32_t seg_size, struct temu_rxq *r)
{
	struct mlx4r_hw_wq_attr wa;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = mlx4r_hw_create_cq(e->ctx, cnt, &r->cq);
	if (ret != 0)
		return ret;
	memset(&wa, 0, sizeof(wa));
	wa.cq = r->cq;
	wa.max_wr = cnt;
	wa.max_sge = sges;
	ret = mlx4r_hw_create_wq(e->pd, &wa, &r->wq);
	if (ret != 0)
		return ret;
	ret = mlx4r_hw_modify_wq(r->wq, IBV_WQS_RDY);
	if (ret != 0)
		return ret;
	r->cnt = wa.max_wr;
	r->sges = wa.max_sge;
	r->seg_size = seg_size;
	r->mem = aligned_alloc(64, (size_t)r->cnt * r->sges * seg_size);
	if (r->mem == NULL)
		return -ENOMEM;
	ret = mlx4r_hw_reg_mr(e->pd, r->mem, (size_t)r->cnt * r->sges *
			      seg_size, IBV_ACCESS_LOCAL_WRITE, &r->mr);
	if (ret != 0)
		return ret;
	ret = mlx4r_hw_wq_view(r->wq, &r->dv, &r->hook);
	if (ret != 0)
		return ret;
	return mlx4r_hw_cq_view(r->cq, &r->cdv);
}

void
temu_rxq_destroy(struct temu_rxq *r)
{
	if (r->wq != NULL)
		mlx4r_hw_destroy_wq(r->wq);
	if (r->cq != NULL)
		mlx4r_hw_destroy_cq(r->cq);
	if (r->mr != NULL)
		mlx4r_hw_dereg_mr(r->mr);
	free(r->mem);
	memset(r, 0, sizeof(*r));
}

void
temu_rxq_post(struct temu_rxq *r, uint32_t n)
{
	uint8_t *ring = (uint8_t *)r->dv.buf.buf + r->dv.rq.offset;
	uint32_t i, s;

	for (i = 0; i < n; i++, r->pi++) {
		uint32_t w = r->pi & (r->cnt - 1);
		struct mlx4_wqe_data_seg *seg = (void *)(ring +
			((size_t)w << r->dv.rq.wqe_shift));

		for (s = 0; s < r->sges; s++) {
			uint8_t *a = r->mem + ((size_t)w * r->sges + s) *
				     r->seg_size;

			memset(a, 0xee, r->seg_size);
			seg[s].addr = rte_cpu_to_be_64((uintptr_t)a);
			seg[s].lkey = rte_cpu_to_be_32(r->mr->lkey);
			seg[s].byte_count = rte_cpu_to_be_32(r->seg_size);
		}
	}
	/* WQEs before the record that publishes them. */
	rte_wmb();
	*r->dv.rdb = rte_cpu_to_be_32(r->pi & 0xffff);
}

uint8_t *
temu_rxq_data(struct temu_rxq *r, uint16_t wqe_index)
{
	return r->mem + (size_t)(wqe_index & (r->cnt - 1)) * r->sges *
	       r->seg_size;
}

bool
temu_rx_poll(struct temu_rxq *r, struct mlx4_cqe *cqe)
{
	mlx4r_hw_hook_call(&r->hook);
	return temu_cq_poll(&r->cdv, &r->cq_ci, cqe);
}

int
temu_rss_create(struct temu_env *e, uint8_t port, struct temu_rxq **rxq,
		const unsigned int *map, uint32_t log_size, uint64_t fields,
		const uint8_t *key, struct mlx4r_hw_ind_table **ind,
		struct mlx4r_hw_qp **qp)
{
	struct mlx4r_hw_wq *wqs[64];
	struct ibv_rx_hash_conf hc;
	struct ibv_qp_attr a;
	uint32_t i;
	int ret;

	for (i = 0; i < (1u << log_size); i++)
		wqs[i] = rxq[map != NULL ? map[i] : i]->wq;
	ret = mlx4r_hw_create_ind_table(e->ctx, log_size, wqs, ind);
	if (ret != 0)
		return ret;
	memset(&hc, 0, sizeof(hc));
	hc.rx_hash_function = IBV_RX_HASH_FUNC_TOEPLITZ;
	hc.rx_hash_key_len = 40;
	hc.rx_hash_key = (uint8_t *)(uintptr_t)(key != NULL ? key :
						temu_rss_key);
	hc.rx_hash_fields_mask = fields;
	ret = mlx4r_hw_create_rss_qp(e->pd, *ind, &hc, qp);
	if (ret != 0)
		return ret;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_INIT;
	a.port_num = port;
	ret = mlx4r_hw_modify_qp(*qp, &a, IBV_QP_STATE | IBV_QP_PORT);
	if (ret != 0)
		return ret;
	a.qp_state = IBV_QPS_RTR;
	return mlx4r_hw_modify_qp(*qp, &a, IBV_QP_STATE);
}

struct temu_flow_eth {
	struct ibv_flow_attr attr;
	struct ibv_flow_spec_eth eth;
} __rte_packed;

int
temu_flow_mac(struct mlx4r_hw_qp *qp, uint8_t port, const uint8_t *mac,
	      struct mlx4r_hw_flow **f)
{
	struct temu_flow_eth fa;

	memset(&fa, 0, sizeof(fa));
	fa.attr.type = IBV_FLOW_ATTR_NORMAL;
	fa.attr.size = sizeof(fa);
	fa.attr.num_of_specs = 1;
	fa.attr.port = port;
	fa.eth.type = IBV_FLOW_SPEC_ETH;
	fa.eth.size = sizeof(fa.eth);
	memcpy(fa.eth.val.dst_mac, mac, 6);
	memset(fa.eth.mask.dst_mac, 0xff, 6);
	return mlx4r_hw_create_flow(qp, &fa.attr, f);
}

int
temu_flow_kind(struct mlx4r_hw_qp *qp, uint8_t port,
	       enum ibv_flow_attr_type type, struct mlx4r_hw_flow **f)
{
	struct ibv_flow_attr a;

	memset(&a, 0, sizeof(a));
	a.type = type;
	a.size = sizeof(a);
	a.port = port;
	return mlx4r_hw_create_flow(qp, &a, f);
}

static uint16_t
temu_csum(uint32_t sum, const uint8_t *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t
temu_frame_ip4(uint8_t *d, const uint8_t *dmac, const uint8_t *smac,
	       uint32_t sip, uint32_t dip, uint8_t proto, uint16_t sport,
	       uint16_t dport, uint32_t payload, bool csum)
{
	uint32_t l4len = (proto == IPPROTO_TCP ? 20 : 8) + payload;
	uint32_t len = 14 + 20 + l4len, i, sum;
	uint8_t *ip = d + 14, *l4 = ip + 20;
	uint16_t c;

	memset(d, 0, len);
	memcpy(d, dmac, 6);
	memcpy(d + 6, smac, 6);
	d[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + l4len) >> 8);
	ip[3] = (uint8_t)(20 + l4len);
	ip[8] = 64;
	ip[9] = proto;
	for (i = 0; i < 4; i++) {
		ip[12 + i] = (uint8_t)(sip >> (24 - 8 * i));
		ip[16 + i] = (uint8_t)(dip >> (24 - 8 * i));
	}
	l4[0] = (uint8_t)(sport >> 8);
	l4[1] = (uint8_t)sport;
	l4[2] = (uint8_t)(dport >> 8);
	l4[3] = (uint8_t)dport;
	if (proto == IPPROTO_TCP) {
		l4[12] = 5 << 4;
		l4[13] = 0x10;
	} else {
		l4[4] = (uint8_t)(l4len >> 8);
		l4[5] = (uint8_t)l4len;
	}
	for (i = 0; i < payload; i++)
		l4[len - 34 - payload + i] = (uint8_t)(i * 7 + 1);
	if (!csum)
		return len;
	c = temu_csum(0, ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	sum = (sip >> 16) + (sip & 0xffff) + (dip >> 16) + (dip & 0xffff) +
	      proto + l4len;
	c = temu_csum(sum, l4, l4len);
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	i = proto == IPPROTO_TCP ? 16 : 6;
	l4[i] = (uint8_t)(c >> 8);
	l4[i + 1] = (uint8_t)c;
	return len;
}

uint32_t
temu_frame_ip6_tcp(uint8_t *d, const uint8_t *dmac, const uint8_t *smac,
		   const uint8_t *sip, const uint8_t *dip, uint16_t sport,
		   uint16_t dport, uint32_t payload)
{
	uint32_t l4len = 20 + payload, len = 14 + 40 + l4len, sum = 0, i;
	uint8_t *ip = d + 14, *l4 = ip + 40;
	uint16_t c;

	memset(d, 0, len);
	memcpy(d, dmac, 6);
	memcpy(d + 6, smac, 6);
	d[12] = 0x86;
	d[13] = 0xdd;
	ip[0] = 0x60;
	ip[4] = (uint8_t)(l4len >> 8);
	ip[5] = (uint8_t)l4len;
	ip[6] = IPPROTO_TCP;
	ip[7] = 64;
	memcpy(ip + 8, sip, 16);
	memcpy(ip + 24, dip, 16);
	l4[0] = (uint8_t)(sport >> 8);
	l4[1] = (uint8_t)sport;
	l4[2] = (uint8_t)(dport >> 8);
	l4[3] = (uint8_t)dport;
	l4[12] = 5 << 4;
	for (i = 0; i < 32; i += 2)
		sum += (uint32_t)(ip[8 + i] << 8 | ip[9 + i]);
	sum += IPPROTO_TCP + l4len;
	c = temu_csum(sum, l4, l4len);
	l4[16] = (uint8_t)(c >> 8);
	l4[17] = (uint8_t)c;
	return len;
}
