DROP TABLE loggable_workflow_task_states;
DROP TABLE loggable_workflow_states;
DROP TABLE loggable_workflow_content_types;
DROP TABLE loggable_workflow_pages;
DROP TABLE loggable_workflow_task_groups;
DROP TABLE loggable_workflow_task_order;
DROP TABLE loggable_workflow_tasks;
DROP TABLE loggable_workflows;
