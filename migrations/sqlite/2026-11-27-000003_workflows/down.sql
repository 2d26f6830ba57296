DROP TABLE workflow_task_states;
DROP TABLE workflow_states;
DROP TABLE workflow_content_types;
DROP TABLE workflow_pages;
DROP TABLE workflow_task_groups;
DROP TABLE workflow_task_order;
DROP TABLE workflow_tasks;
DROP TABLE workflows;
