/* fusion_int.h - internals shared by the files of src/fusion (not a contract). */
#ifndef VG_FUSION_INT_H
#define VG_FUSION_INT_H

#include "fusion.h"

/* Most measurements one fit takes (arrivals, bearings and fixes). */
#define VG_FUSION_LOCATE_MAX 1024

/* Upper quantile of chi-square with dof degrees of freedom at the normal
 * deviate z (Wilson-Hilferty 1931; z = 3.719 for p = 1e-4). */
double vg_fusion_chi2_quantile(int dof, double z);

/* The information (inverse covariance) of a medium prior over (c, we, wn):
 * its prec with has_prec, else diagonal from its sigmas. */
void vg_fusion_prior_info(const struct vg_fusion_medium *pr, double W[3][3]);

/* Predicted arrival time (s, the fit's reference) at a sensor (its ECEF)
 * and its variance from the fit's full covariance (position, t0 and
 * medium), in the fast geometry. p caches the fit position's ECEF and
 * trigonometry between calls (zero it first; it follows fx as it moves). */
struct vg_fusion_pred {
	const struct vg_fusion_fix *fx;
	double lat, lon, x[3], t[4];
};
void vg_fusion_predict_arrival(struct vg_fusion_pred *p, const struct vg_fusion_fix *fx,
                               const double s_ecef[3], double *t_s, double *var_s2);

#endif
