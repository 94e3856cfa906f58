"""Durable work: batch fetches and list refreshes as jobs kept in the store, so they
survive reloads, page switches and restarts. No Streamlit in here (lib/ui.py holds the
process's runner).

    JobBoard(store)                  the jobs and items in the database: create, get,
                                     recent, items, cancel, retry; claim / finish_item /
                                     release for runners
    run_job(board, id, fetch)        the unit of work any runner executes
    InProcessRunner(board, fetch)    the embedded default: threads of the server
                                     process; .submit(id) (the Runner interface a task
                                     queue implements too), .wait(id), .stop()
    client_fetch(credentials_for)    the fetch: lib.client.fetch_many, in the background
    queue.QueueRunner(board, url)    a team's runner (EXPLORER_JOBS=queue): parts of jobs
                                     on procrastinate, worked by lib/jobs/worker.py
                                     processes through work_part (imported on demand:
                                     the embedded default needs no task queue)
"""
from lib.jobs.board import JobBoard, process_owner, retryable_failure
from lib.jobs.model import (BATCH, CANCELLED, DONE, FAILED, ITEM_DONE, PENDING, QUEUED,
                            REFRESH, RUNNING, SKIPPED, ItemError, Job, JobItem)
from lib.jobs.runner import (InProcessRunner, Runner, client_fetch, run_job, utc_now,
                             work_claimed)

__all__ = ["BATCH", "CANCELLED", "DONE", "FAILED", "ITEM_DONE", "PENDING", "QUEUED",
           "REFRESH", "RUNNING", "SKIPPED", "InProcessRunner", "ItemError", "Job",
           "JobBoard", "JobItem", "Runner", "client_fetch", "process_owner",
           "retryable_failure", "run_job", "utc_now", "work_claimed"]
