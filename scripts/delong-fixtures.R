#!/usr/bin/env Rscript
# Reference figures for seqrisk's DeLong test (core/src/metrics/compare.rs), from pROC's
# roc.test(method = "delong", paired = TRUE), var() and cov() (run once; the JSON is committed
# as core/src/metrics/delong_fixture.json and R is not a CI dependency).
#
#   apt-get install r-cran-proc      # Debian 12: R 4.2.2, pROC 1.18.0
#   Rscript scripts/delong-fixtures.R
#
# Inputs are drawn with a fixed seed and rounded (to 6, 1 or 2 decimals) so the stored values
# are exactly what pROC read, and some cases carry ties within and across the classes.
suppressMessages(library(pROC))
set.seed(20261207)

num <- function(x) sprintf("%.17g", x)
vec <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")

case <- function(a, b, labels) {
  ra <- roc(labels, a, levels = c(0, 1), direction = "<", quiet = TRUE)
  rb <- roc(labels, b, levels = c(0, 1), direction = "<", quiet = TRUE)
  t <- roc.test(ra, rb, method = "delong", paired = TRUE)
  paste0(
    "{\"a\": ", vec(a), ", \"b\": ", vec(b), ", \"labels\": ", vec(labels),
    ", \"auc_a\": ", num(as.numeric(auc(ra))), ", \"auc_b\": ", num(as.numeric(auc(rb))),
    ", \"var_a\": ", num(var(ra, method = "delong")), ", \"var_b\": ", num(var(rb, method = "delong")),
    ", \"cov\": ", num(cov(ra, rb, method = "delong")),
    ", \"z\": ", num(unname(t$statistic)), ", \"p_value\": ", num(t$p.value), "}"
  )
}

cases <- character()
# 1. 40 sessions, scores to one decimal: ties within and across the classes
labels <- rbinom(40, 1, 0.4)
a <- round(pmin(pmax(0.5 * labels + runif(40, 0, 0.7), 0), 1), 1)
b <- round(pmin(pmax(0.3 * labels + runif(40, 0, 0.8), 0), 1), 1)
cases <- c(cases, case(a, b, labels))
# 2. 300 sessions, continuous, B a noisier function of A
labels <- rbinom(300, 1, 0.2)
a <- round(labels + rnorm(300), 6)
b <- round(0.6 * a + 0.4 * rnorm(300), 6)
cases <- c(cases, case(a, b, labels))
# 3. 150 sessions, B better but coarse (steps of 0.01), A continuous
labels <- rbinom(150, 1, 0.3)
b <- round(plogis(1.5 * labels + rnorm(150)), 2)
a <- round(plogis(0.7 * labels + rnorm(150)), 6)
cases <- c(cases, case(a, b, labels))
# 4. 25 sessions, almost the same model (one score moved): a small difference
labels <- c(rep(1, 10), rep(0, 15))
a <- round(runif(25) + 0.2 * labels, 6)
b <- a
b[3] <- round(b[3] - 0.3, 6)
cases <- c(cases, case(a, b, labels))

cat("[\n", paste(cases, collapse = ",\n"), "\n]\n", sep = "",
    file = "core/src/metrics/delong_fixture.json")
cat("wrote core/src/metrics/delong_fixture.json (pROC", as.character(packageVersion("pROC")), ")\n")
