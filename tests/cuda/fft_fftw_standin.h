/* fft_fftw_standin.h — TESTS ONLY: counters of the FFTW stand-in for cuFFT
 * (fft_fftw_standin.cpp), to check that execute plans nothing and reuses cached spectra. */
#ifndef FCONV_TESTS_FFT_FFTW_STANDIN_H
#define FCONV_TESTS_FFT_FFTW_STANDIN_H
#ifdef __cplusplus
extern "C" {
#endif
long fconv_fft_standin_plans(void); /* fconv_fft_plan_many calls that succeeded */
long fconv_fft_standin_execs(void); /* fconv_fft_exec calls that ran a transform */
#ifdef __cplusplus
}
#endif
#endif
