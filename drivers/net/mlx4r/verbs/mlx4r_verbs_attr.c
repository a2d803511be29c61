/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The parts of the rdma-core backend that need no device (see
 * mlx4r_verbs.h). No verbs call is made here.
 */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "mlx4r_verbs.h"

RTE_LOG_REGISTER_SUFFIX(mlx4r_verbs_logtype, verbs, NOTICE);

void
mlx4r_verbs_log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rte_log(RTE_LOG_ERR, mlx4r_verbs_logtype, "mlx4r verbs: %s\n", buf);
}

void
mlx4r_verbs_log_level(uint32_t level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rte_log(level, mlx4r_verbs_logtype, "mlx4r verbs: %s\n", buf);
}

int
mlx4r_verbs_errno(int err, int fallback)
{
	if (err < 0)
		err = -err;
	if (err == 0)
		err = fallback < 0 ? -fallback : fallback;
	return -err;
}

void
mlx4r_verbs_tx_qp_init_attr(struct ibv_qp_init_attr *init, void *qp_context,
			    struct ibv_cq *cq, const struct ibv_qp_cap *cap)
{
	memset(init, 0, sizeof(*init));
	init->qp_context = qp_context;
	init->send_cq = cq;
	/* a QP needs a receive CQ even without a receive queue */
	init->recv_cq = cq;
	init->cap.max_send_wr = cap->max_send_wr;
	init->cap.max_send_sge = cap->max_send_sge ? cap->max_send_sge : 1;
	init->cap.max_recv_wr = 0;
	init->cap.max_recv_sge = 0;
	init->cap.max_inline_data = cap->max_inline_data;
	init->qp_type = IBV_QPT_RAW_PACKET;
	/* completions only where a WQE asks (MLX4_WQE_CTRL_CQ_UPDATE) */
	init->sq_sig_all = 0;
}

int
mlx4r_verbs_rss_qp_init_attr(struct ibv_qp_init_attr_ex *init,
			     struct ibv_pd *pd, struct ibv_rwq_ind_table *ind,
			     const struct ibv_rx_hash_conf *conf)
{
	if (conf->rx_hash_function != IBV_RX_HASH_FUNC_TOEPLITZ ||
	    conf->rx_hash_key_len != MLX4R_VERBS_RSS_KEY_LEN ||
	    conf->rx_hash_key == NULL)
		return -EINVAL;
	if (conf->rx_hash_fields_mask & ~(uint64_t)MLX4R_VERBS_RSS_FIELDS)
		return -EOPNOTSUPP;
	memset(init, 0, sizeof(*init));
	init->qp_type = IBV_QPT_RAW_PACKET;
	init->comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_RX_HASH |
			  IBV_QP_INIT_ATTR_IND_TABLE;
	init->pd = pd;
	init->rwq_ind_tbl = ind;
	init->rx_hash_conf = *conf;
	return 0;
}

void
mlx4r_verbs_event_from_ibv(const struct ibv_async_event *e,
			   struct mlx4r_hw_async_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->event_type = e->event_type;
	switch (mlx4r_hw_event_elem(e->event_type)) {
	case MLX4R_HW_EV_CQ:
		ev->element.cq = e->element.cq->cq_context;
		break;
	case MLX4R_HW_EV_QP:
		ev->element.qp = e->element.qp->qp_context;
		break;
	case MLX4R_HW_EV_WQ:
		ev->element.wq = e->element.wq->wq_context;
		break;
	case MLX4R_HW_EV_PORT:
		ev->element.port_num = e->element.port_num;
		break;
	default: /* DEVICE_FATAL and the SRQ events carry nothing we use */
		break;
	}
}

int
mlx4r_verbs_parse_mac(const char *text, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &tail) != 7 || tail != '\n')
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

uint32_t
mlx4r_verbs_ind_check(struct mlx4r_hw_wq *const *wqs, uint32_t n)
{
	uint32_t i;

	if (wqs[0]->wq_num % n != 0)
		return 1;
	for (i = 1; i < n; i++)
		if (wqs[i]->wq_num != wqs[0]->wq_num + i)
			return i + 1;
	return 0;
}

/* Read the unsigned number in @p dir/@p name/@p attr; -1 if none. */
static long
mlx4r_verbs_read_num(const char *dir, const char *name, const char *attr,
		     int base)
{
	char path[PATH_MAX], buf[32], *end;
	unsigned long v;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s/%s", dir, name, attr) >=
	    (int)sizeof(path))
		return -1;
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	errno = 0;
	v = strtoul(buf, &end, base);
	if (errno != 0 || end == buf || v > 0xffff)
		return -1;
	return (long)v;
}

int
mlx4r_verbs_port_ifname(const char *ibdev_path, uint8_t port, char *ifname,
			size_t len)
{
	char dir[PATH_MAX];
	struct dirent *de;
	unsigned int pass;
	DIR *d;

	if (snprintf(dir, sizeof(dir), "%s/device/net", ibdev_path) >=
	    (int)sizeof(dir))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (d == NULL)
		return -errno;
	/* pass 0: dev_port; pass 1: dev_id, where dev_port cannot tell */
	for (pass = 0; pass < 2; pass++) {
		const char *attr = pass == 0 ? "dev_port" : "dev_id";
		bool ambiguous = false, found = false;
		long v, seen[16];
		unsigned int n = 0, k;

		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			v = mlx4r_verbs_read_num(dir, de->d_name, attr,
						 pass == 0 ? 10 : 16);
			for (k = 0; v >= 0 && k < n && seen[k] != v; k++)
				;
			if (v < 0 || k < n) {
				/* no dev_port (Linux < 3.15), or one value
				 * for every port (MOFED < 3.0): dev_id */
				ambiguous = true;
				continue;
			}
			if (n < RTE_DIM(seen))
				seen[n++] = v;
			if (v == port - 1 && strlen(de->d_name) < len) {
				strcpy(ifname, de->d_name);
				found = true;
			}
		}
		if (pass == 0 && ambiguous)
			continue;
		closedir(d);
		return found ? 0 : -ENODEV;
	}
	closedir(d);
	return -ENODEV;
}

int
mlx4r_verbs_check_part(uint32_t vendor_id, uint32_t vendor_part_id)
{
	if (vendor_id != MLX4R_VERBS_VENDOR_ID ||
	    vendor_part_id < MLX4R_VERBS_PART_FIRST ||
	    vendor_part_id > MLX4R_VERBS_PART_LAST)
		return -ENODEV;
	return 0;
}

enum mlx4r_verbs_destroyed
mlx4r_verbs_destroy_result(int ret)
{
	if (ret < 0)
		ret = -ret;
	if (ret == 0)
		return MLX4R_VERBS_DESTROYED;
	if (ret == EIO)
		return MLX4R_VERBS_GONE;
	return MLX4R_VERBS_FAILED;
}

unsigned int
mlx4r_verbs_destroy_all(struct mlx4r_verbs_obj_list *lists,
			int (*destroy)(struct mlx4r_verbs_obj *))
{
	struct mlx4r_verbs_obj *o, *next;
	unsigned int k, given_up = 0;

	for (k = 0; k < MLX4R_VERBS_KINDS; k++) {
		/* each object once: a failing destroy would fail again */
		for (o = LIST_FIRST(&lists[k]); o != NULL; o = next) {
			next = LIST_NEXT(o, next);
			if (destroy(o) == 0)
				continue;
			LIST_REMOVE(o, next);
			free(o->mem);
			given_up++;
		}
	}
	return given_up;
}

void *
mlx4r_verbs_buf_alloc(size_t size, void *data)
{
	struct mlx4r_verbs_alloc *a = data;
	int socket = *a->socket != SOCKET_ID_ANY ? *a->socket : a->dev_socket;
	void *p;

	if (size == 0)
		return NULL;
	/*
	 * Page-aligned: the kernel maps a QP's or CQ's buffer by pages from
	 * its start (Linux mlx4_ib qp.c create_qp_common() and cq.c
	 * mlx4_ib_get_cq_umem(): ib_umem_get() + MTT, no page offset).
	 * Zeroed, as libmlx4's anonymous mmap() is.
	 */
	p = rte_zmalloc_socket("mlx4r_verbs_ring", size,
			       (unsigned int)sysconf(_SC_PAGESIZE), socket);
	if (p != NULL)
		a->allocs++;
	return p;
}

void
mlx4r_verbs_buf_free(void *ptr, void *data)
{
	struct mlx4r_verbs_alloc *a = data;

	if (ptr == NULL)
		return;
	a->frees++;
	rte_free(ptr);
}
